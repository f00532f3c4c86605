#!/usr/bin/env bash
# Per-stage CPU profile of one leakhound run: where each byte's time goes.
#
#   benches/profile.sh scan /work/corpora/moby          # a directory
#   benches/profile.sh git  /work/corpora/git.git       # full history
#   benches/profile.sh startup                          # an empty directory, 20 runs
#
# Records the run with `perf record` (sampling, no call graphs: the release profile has no frame
# pointers), then groups the self time of every symbol into pipeline stages and prints each
# stage's share, CPU seconds and nanoseconds per scanned byte. Needs `perf` and a release build
# (`cargo build --release`); LEAKHOUND overrides the binary, EXTRA adds arguments in git mode. Results are written up in
# benches/README.md ("Where the time goes"). The binary must be named `leakhound` (samples are
# filtered by command name). For the cost of each rule's regex, run a scan with
# LEAKHOUND_RULE_STATS=1 (a table on stderr at the end).
set -euo pipefail

LEAKHOUND=${LEAKHOUND:-target/release/leakhound}
FREQ=${FREQ:-2000}
mode=${1:?usage: profile.sh scan DIR | git REPO | startup}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

case $mode in
  scan) cmd=("$LEAKHOUND" scan "${2:?DIR}" -f json -r "$out/report.json" --exit-code 0) ;;
  # --no-cache: the history cache (kept in the repository) would serve a second run's blobs.
  # EXTRA: more arguments, e.g. EXTRA=--allow-missing-objects for a partial clone.
  git) cmd=("$LEAKHOUND" git "${2:?REPO}" -f json -r "$out/report.json" --exit-code 0 --no-cache ${EXTRA:-}) ;;
  startup)
    mkdir -p "$out/empty"
    cmd=(sh -c "for i in \$(seq 20); do '$LEAKHOUND' scan '$out/empty' -q >/dev/null 2>&1 || true; done")
    ;;
  *) echo "unknown mode $mode" >&2; exit 2 ;;
esac

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/time -f "%e s wall, %U s user, %S s sys, %M KiB peak RSS" -o "$out/time" \
  perf record -q -F "$FREQ" -o "$out/perf.data" -- "${cmd[@]}" 2>"$out/stderr" || true
grep -h "^leakhound:" "$out/stderr" || true
cat "$out/time"
cpu=$(tail -n1 "$out/time" | awk '{print $4 + $7}')
bytes=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['summary']['bytes_scanned'])" "$out/report.json" 2>/dev/null || echo 0)

printf "%7s %8s %9s  %s\n" share "CPU s" ns/byte stage
perf report -i "$out/perf.data" --comm leakhound --no-children --sort sym --stdio -g none 2>/dev/null |
  grep -v '^#' | grep -v '^$' |
  awk -v cpu="$cpu" -v bytes="$bytes" '
  { p = $1; sub("%", "", p); s = $0
    # collect_hits: the lanes of the DFA are inlined into it (it was counted as windows before).
    if (s ~ /packed::teddy|prefilter::teddy/) g = "regex confirmation (incl. lazy DFA building)"
    else if (s ~ /aho_corasick|prefilter::Compact|collect_hits/) g = "keyword prefilter (DFA lanes)"
    else if (s ~ /decode::|Decoded/) g = "decoding layers (finding and decoding spans)"
    else if (s ~ /regex_automata|regex_syntax/) g = "regex confirmation (incl. lazy DFA building)"
    else if (s ~ /prefilter::|Windows|merge_windows/) g = "windows around keyword hits"
    else if (s ~ /content::locate|WindowPosition|LineCursor|count_chars/) g = "line and column counting"
    else if (s ~ /utf16|looks_binary/) g = "binary and UTF-16 sniffing"
    else if (s ~ /zlib|inflate|Decompress|Inflate/) g = "inflate (zlib-rs)"
    else if (s ~ /apply_delta|copy_instruction/) g = "delta application"
    else if (s ~ /\[k\]/) g = "kernel (open, read, getdents, page faults)"
    else if (s ~ /malloc|free|realloc|memmove|memcpy|memset|unlink_chunk/) g = "malloc, free, memcpy, memset"
    else if (s ~ /ignore::|globset/) g = "directory walk (ignore)"
    else if (s ~ /gix|packwalk|treeindex|provenance|objects::|sha1/) g = "git objects, trees, provenance"
    else if (s ~ /granit|saphyr|serde/) g = "rule loading (YAML, JSON)"
    else g = "other"
    share[g] += p }
  END {
    for (g in share) {
      sec = share[g] / 100 * cpu
      nsb = "-"
      if (bytes > 0) nsb = sprintf("%.2f", sec * 1e9 / bytes)
      printf "%6.1f%% %8.3f %9s  %s\n", share[g], sec, nsb, g
    }
  }' | sort -rn
