#!/usr/bin/env bash
# benches/compare.sh: side-by-side wall time, CPU time, peak memory and findings of leakhound and
# its peer secret scanners (gitleaks, betterleaks, kingfisher), with ripgrep as the
# "how fast can these bytes be read and searched at all" reference.
#
# Usage:
#   benches/compare.sh dir PATH     scan a directory (working tree) with every tool
#   benches/compare.sh git REPO     scan the full history of a local git repository
#   benches/compare.sh startup      run every tool on an empty directory (fixed start-up cost)
#
# Steps:
#   0. read the target once (page cache warm for everyone);
#   1. one run of each tool under /usr/bin/time -v: checks the exit status and that the report was
#      written (a tool failing either is left out, with its stderr), records peak RSS and user+sys
#      CPU time, and keeps the report to count findings;
#   2. hyperfine over the tools that passed (dir: -w 1 -r 5 -N; git: -w 0 -r 2 via sh, since the
#      ripgrep reference is a pipe; startup: -w 3 -r 20 -N), interleaved by default: RUNS rounds
#      of `hyperfine -r 1` over all tools, so load drift on a shared machine hits all alike;
#   3. tables: wall-time medians with each tool's ratio to leakhound and to ripgrep (tool median /
#      reference median: 2.00x = takes twice as long), the /usr/bin/time run (peak RSS), and the
#      findings each tool reports and the bytes it says it read.
#
# Environment:
#   LEAKHOUND  leakhound binary (default target/release/leakhound; a relative path is looked up in
#              the current directory, then in the repository root). Skipped if it does not exist.
#   PEERS      where install-peers.sh put the peers (default ~/.cache/leakhound-peers); tools are
#              taken from $PEERS/bin, else from $PATH. A missing tool is skipped with a message.
#   RUNS, WARMUP  override hyperfine's -r / -w for the mode.
#   ONLY       space-separated subset of tools, e.g. ONLY="leakhound kingfisher".
#              Names: rg leakhound betterleaks kingfisher gitleaks (startup also: ripsecrets
#              detect-secrets).
#   INTERLEAVE=0  one `hyperfine -r RUNS` call instead (A A A B B B), with hyperfine's summary.
#   WAIT_IDLE  at most this many seconds to wait for an idle machine before each run (default 180).
#   RETRY_BUSY a round disturbed by other processes (BUSY) is run again, up to this many times
#              (default 3); the last try is kept either way.
#   LEAKHOUND_GIT_ARGS, KINGFISHER_GIT_ARGS  extra arguments in git mode, e.g.
#              "--allow-missing-objects" for a partial clone and "--turbo" (kingfisher's fast mode,
#              which drops commit metadata). leakhound always runs with --no-cache there.
#   SKIP_RSS=1 skip step 1 (no exit-status or report check, no memory, no findings).
#   KEEP=1     keep the temporary directory with the reports and hyperfine JSON, and print its path.
#
# Peers are installed by benches/install-peers.sh (see benches/README.md). Needs
# hyperfine, python3 and GNU time (/usr/bin/time), all Debian packages. Validation of found
# secrets over the network is off for every tool (kingfisher -n; the others validate only on
# request). Run nothing else heavy on the machine meanwhile.
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-2}"; }

[[ $# -ge 1 ]] || usage
MODE=$1
case $MODE in
  dir | git) [[ $# -eq 2 ]] || usage ;;
  startup) [[ $# -eq 1 ]] || usage ;;
  -h | --help | help) usage 0 ;;
  *) usage ;;
esac

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LEAKHOUND=${LEAKHOUND:-target/release/leakhound}
if [[ $LEAKHOUND != /* && ! -e $LEAKHOUND && -e $ROOT/$LEAKHOUND ]]; then
  LEAKHOUND=$ROOT/$LEAKHOUND
fi
[[ -e $LEAKHOUND && $LEAKHOUND != /* ]] && LEAKHOUND=$(realpath "$LEAKHOUND")
PEERS=${PEERS:-$HOME/.cache/leakhound-peers}/bin
PATTERN='key|secret|token|password|api'

for need in hyperfine python3; do
  command -v "$need" >/dev/null || { echo "compare.sh: $need is required (apt-get install -y $need)" >&2; exit 2; }
done
# A tool that replaces its report path by rename (gitleaks does: `gitleaks ... -r /dev/null` run
# as root leaves a regular file at /dev/null) breaks every later redirect and git's config reads.
if [[ ! -c /dev/null ]]; then
  echo "compare.sh: /dev/null is not a character device; restore it (as root):" >&2
  echo "  mknod -m 666 /dev/null.new c 1 3 && mv -f /dev/null.new /dev/null" >&2
  exit 2
fi
HAVE_TIME=1
if [[ ${SKIP_RSS:-0} == 1 ]]; then
  HAVE_TIME=0
elif [[ ! -x /usr/bin/time ]]; then
  echo "compare.sh: /usr/bin/time missing (apt-get install -y time); skipping memory and findings" >&2
  HAVE_TIME=0
fi

# Path of tool $1, or nothing if it is missing.
locate() {
  if [[ $1 == leakhound ]]; then
    [[ -x $LEAKHOUND ]] && echo "$LEAKHOUND"
  elif [[ -x $PEERS/$1 ]]; then
    echo "$PEERS/$1"
  else
    command -v "$1" || true
  fi
  return 0
}
q() { printf '%q' "$1"; }

# CPU time the whole machine has spent busy, in jiffies (user nice system irq softirq steal).
HZ=$(getconf CLK_TCK)
NPROC=$(nproc)
busy_jiffies() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
# Waits, at most WAIT_IDLE seconds, until other processes use under 10% of the machine over 2 s.
wait_idle() {
  local waited=0 b0 b1 pct limit=${WAIT_IDLE:-180}
  while :; do
    b0=$(busy_jiffies); sleep 2; b1=$(busy_jiffies)
    pct=$(((b1 - b0) * 100 / (2 * HZ * NPROC)))
    ((pct < 10)) && return 0
    if ((waited >= limit)); then echo "  (machine still busy: ${pct}% CPU in use; going on)"; return 0; fi
    ((waited == 0)) && echo "  (machine busy: ${pct}% CPU in use by other processes; waiting up to ${limit} s)"
    sleep 3
    waited=$((waited + 5))
  done
}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/leakhound-compare.XXXXXX")
if [[ ${KEEP:-0} == 1 ]]; then
  trap 'echo "kept: $TMP"' EXIT
else
  trap 'rm -rf "$TMP"' EXIT
fi

# ---------------------------------------------------------------- machine and tool versions
echo "## machine"
echo "date:     $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "nproc:    $(nproc)"
echo "cpu:      $(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -1)"
echo "memory:   $(free -g | awk '/^Mem:/ {print $2 " GiB"}')"
echo "kernel:   $(uname -sr)"
echo "load avg: $(cut -d' ' -f1-3 /proc/loadavg) (before the run)"
echo
echo "## tools"
version() { # name path
  case $1 in
    rg) "$2" --version 2>/dev/null | sed -n 1p ;;
    leakhound) v=$("$2" --version 2>&1 | sed -n 1p || true); echo "${v:-leakhound (printed no --version)}" ;;
    gitleaks | betterleaks) echo "$1 $("$2" version 2>&1 | sed -n 1p)" ;;
    kingfisher | ripsecrets | detect-secrets) echo "$1 $("$2" --version 2>&1 | sed -n "1{s/^$1 //;p}")" ;;
  esac
}
ALL_TOOLS=(rg leakhound betterleaks kingfisher gitleaks)
[[ $MODE == startup ]] && ALL_TOOLS+=(ripsecrets detect-secrets)
TOOLS=()
for t in "${ALL_TOOLS[@]}"; do
  if [[ -n ${ONLY:-} && " $ONLY " != *" $t "* ]]; then continue; fi
  p=$(locate "$t")
  if [[ -z $p ]]; then
    if [[ $t == leakhound ]]; then
      echo "$t: skipped, $LEAKHOUND not found (cargo build --release, or set LEAKHOUND)"
    else
      echo "$t: skipped, not found in $PEERS nor on PATH (run install-peers.sh)"
    fi
    continue
  fi
  echo "$(version "$t" "$p" || echo "$t (version unknown)")   [$p]"
  TOOLS+=("$t")
done
echo "$(hyperfine --version), $(git --version)"
echo

# ---------------------------------------------------------------- the target
case $MODE in
  dir)
    TARGET=$(realpath "$2")
    [[ -d $TARGET ]] || { echo "compare.sh: $TARGET is not a directory" >&2; exit 2; }
    echo "## target: directory $TARGET"
    echo "files: $(find "$TARGET" -type f | wc -l), bytes: $(du -sb --apparent-size "$TARGET" | cut -f1)"
    if [[ -e $TARGET/.git ]]; then
      echo "note: $TARGET contains .git; some tools walk into it and others skip it, so the tools"
      echo "      do not read the same bytes. Prefer a tree without .git (git archive HEAD | tar -x)."
    fi
    RUNS=${RUNS:-5} WARMUP=${WARMUP:-1} SHELL_OPT=(-N)
    ;;
  git)
    TARGET=$(realpath "$2")
    git -C "$TARGET" rev-parse --git-dir >/dev/null 2>&1 || { echo "compare.sh: $TARGET is not a git repository" >&2; exit 2; }
    echo "## target: git history of $TARGET"
    echo "commits (rev-list --all): $(git -C "$TARGET" rev-list --all | wc -l)"
    git -C "$TARGET" count-objects -vH | grep -E '^(in-pack|size-pack|count|size):' | paste -sd' ' -
    RUNS=${RUNS:-2} WARMUP=${WARMUP:-0} SHELL_OPT=()
    ;;
  startup)
    TARGET=$TMP/empty
    mkdir "$TARGET"
    echo "## target: empty directory"
    RUNS=${RUNS:-20} WARMUP=${WARMUP:-3} SHELL_OPT=(-N)
    ;;
esac
echo "hyperfine: -w $WARMUP -r $RUNS ${SHELL_OPT[*]:-(through sh)}, interleaved rounds: ${INTERLEAVE:-1}"
echo

# ---------------------------------------------------------------- one command line per tool
# CMD[t]: the command (hyperfine shell-words in dir/startup mode, sh in git mode);
# OUT[t]: its report; OK[t]: exit statuses that mean success.
declare -A CMD OUT OK
T=$(q "$TARGET")
for t in "${TOOLS[@]}"; do
  p=$(q "$(locate "$t")")
  o=$TMP/$t.json
  OUT[$t]=$o
  o=$(q "$o")
  OK[$t]=" 0 "
  case $MODE:$t in
    dir:rg | startup:rg)
      CMD[$t]="$p -c -i -e '$PATTERN' $T"; OK[$t]=" 0 1 " ;;
    git:rg)
      # -a: the object stream has NUL bytes (trees, binary blobs); without it rg stops early.
      CMD[$t]="git -C $T cat-file --batch-all-objects --batch | $p -a -c -i -e '$PATTERN'"; OK[$t]=" 0 1 " ;;
    dir:leakhound | startup:leakhound)
      CMD[$t]="$p scan $T -f json -r $o --exit-code 0" ;;
    git:leakhound)
      # --no-cache: the history cache (on by default, kept in the repository) would serve every
      # blob of the second run from the first one's results.
      CMD[$t]="$p git $T -f json -r $o --exit-code 0 --no-cache ${LEAKHOUND_GIT_ARGS:-}" ;;
    dir:betterleaks | startup:betterleaks)
      CMD[$t]="$p fs $T --no-banner --exit-code 0 -o $o" ;;
    git:betterleaks)
      CMD[$t]="$p git $T --no-banner --exit-code 0 -o $o" ;;
    dir:kingfisher | startup:kingfisher)
      # kingfisher exits 200 when it reports findings (205 when one validated; -n prevents that).
      CMD[$t]="$p scan $T -n --no-update-check --git-history none --format json -o $o"; OK[$t]=" 0 200 205 " ;;
    git:kingfisher)
      CMD[$t]="$p scan $T -n --no-update-check --format json -o $o ${KINGFISHER_GIT_ARGS:-}"; OK[$t]=" 0 200 205 " ;;
    dir:gitleaks | startup:gitleaks)
      CMD[$t]="$p dir $T --no-banner --exit-code 0 -f json -r $o" ;;
    git:gitleaks)
      CMD[$t]="$p git $T --no-banner --exit-code 0 -f json -r $o" ;;
    startup:ripsecrets)
      CMD[$t]="$p $T"; OK[$t]=" 0 1 " ;;
    startup:detect-secrets)
      CMD[$t]="$p scan --all-files $T" ;;
  esac
done

# ---------------------------------------------------------------- 0. warm the page cache
# So that the first tool of step 1 does not pay for the disk alone.
case $MODE in
  dir) tar -cf - -C "$TARGET" . >/dev/null ;;
  git) find "$(git -C "$TARGET" rev-parse --absolute-git-dir)/objects" -type f -exec cat {} + >/dev/null ;;
esac

# ---------------------------------------------------------------- 1. one run each under /usr/bin/time -v
# A tool that fails is tried once more; failing twice leaves it out of the timings.
declare -A RC
PASSED=()
timed_run() { # tool -> 0 if it succeeded and wrote its report
  local t=$1 b0 b1
  wait_idle
  echo "+ ${CMD[$t]}"
  rm -f "${OUT[$t]}" "$TMP/$t.report"
  b0=$(busy_jiffies)
  set +e
  /usr/bin/time -v -o "$TMP/$t.time" bash -c "${CMD[$t]}" >"$TMP/$t.stdout" 2>"$TMP/$t.stderr"
  RC[$t]=$?
  set -e
  b1=$(busy_jiffies)
  echo "$b0 $b1" >"$TMP/$t.busy"
  # Keep this run's report: the timed runs below write over OUT.
  if [[ -e ${OUT[$t]} ]]; then mv "${OUT[$t]}" "$TMP/$t.report"; fi
  if [[ ${OK[$t]} != *" ${RC[$t]} "* ]]; then
    echo "  $t FAILED with exit status ${RC[$t]}. Its stderr ends:"
    tail -5 "$TMP/$t.stderr" | sed 's/\x1b\[[0-9;]*m//g; s/^/    /'
    return 1
  fi
  # Every scanner writes its report even when it finds nothing; a missing one means the tool did
  # not do the work (e.g. a leakhound build whose CLI is not wired up yet).
  if [[ $t != rg && $t != ripsecrets && $t != detect-secrets && ! -s $TMP/$t.report ]]; then
    echo "  $t exited ${RC[$t]} but wrote no report ${OUT[$t]}."
    return 1
  fi
  return 0
}
if [[ $HAVE_TIME == 1 ]]; then
  echo "## single run under /usr/bin/time -v (exit status, peak RSS, report)"
  for t in "${TOOLS[@]}"; do
    if timed_run "$t"; then
      PASSED+=("$t")
    elif echo "  trying $t once more" && timed_run "$t"; then
      PASSED+=("$t")
    else
      echo "  $t left out of the timings."
    fi
  done
  echo
else
  PASSED=("${TOOLS[@]}")
fi
[[ ${#PASSED[@]} -gt 0 ]] || { echo "compare.sh: no tool to run" >&2; exit 1; }

# ---------------------------------------------------------------- 2. hyperfine
# INTERLEAVE=1 (default): RUNS rounds of `hyperfine -r 1` over all tools (A B C A B C ...), after
# the warm-ups, so slow drift in a shared machine's load hits every tool alike. Before each round
# the script waits (WAIT_IDLE, default 180 s at most) for the machine to be idle, and after it
# reports how much CPU other processes took during the round ("others"), from /proc/stat minus
# the tools' own user+sys: a round marked BUSY was disturbed (e.g. someone's cargo build) and is
# run again, up to RETRY_BUSY times.
# INTERLEAVE=0: one `hyperfine -r RUNS` (A A A B B B ...), with hyperfine's own summary.
# Exit statuses that count as success, for the scripts below: "rg=0 1;kingfisher=0 200 205;...".
OKMAP=""
for t in "${PASSED[@]}"; do OKMAP+="$t=${OK[$t]};"; done
export OKMAP
echo "## hyperfine"
hf_base() { HF=(hyperfine "${SHELL_OPT[@]}" -i "$@"); for t in "${PASSED[@]}"; do HF+=(-n "$t" "${CMD[$t]}"); done; }
if [[ ${INTERLEAVE:-1} == 1 ]]; then
  cat >"$TMP/round.py" <<'PY'
import json, sys
path, i, b0, b1, hz, ncpu = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
import os
ok = {k: v.split() for k, v in (e.split("=") for e in os.environ["OKMAP"].split(";") if e)}
rs = json.load(open(path))["results"]
own = sum((r.get("user") or 0) + (r.get("system") or 0) for r in rs)
wall = sum(r["times"][0] for r in rs)
others = max(0.0, (b1 - b0) / hz - own)
pct = 100 * others / (ncpu * wall) if wall else 0
flag = "  BUSY" if pct > 10 and others > 0.1 else ""
def cell(r):
    code = (r.get("exit_codes") or [0])[0]
    bad = "" if str(code) in ok.get(r["command"], ["0"]) else f" FAILED (exit {code}, not counted)"
    return f"{r['command']} {r['times'][0]:.3f}s{bad}"
print(f"round {i}:", " ".join(cell(r) for r in rs), f"| others {others:.2f} CPU-s ({pct:.0f}%){flag}")
with open(path.rsplit("/", 1)[0] + "/others.txt", "a") as f:
    f.write(f"{i} {others:.3f} {pct:.1f} {1 if flag else 0}\n")
sys.exit(3 if flag else 0)
PY
  if ((WARMUP > 0)); then
    wait_idle
    hf_base -w 0 -r "$WARMUP" --style none
    "${HF[@]}" 2>&1 | grep -v -e 'Ignoring non-zero exit code' -e '^ *$' || true
    echo "warm-up: $WARMUP run(s) of each, not counted"
  fi
  for ((i = 1; i <= RUNS; i++)); do
    for ((try = 0; ; try++)); do
      wait_idle
      hf_base -w 0 -r 1 --style none --export-json "$TMP/hyperfine-$i.json"
      b0=$(busy_jiffies)
      "${HF[@]}" 2>&1 | grep -v -e 'Ignoring non-zero exit code' -e '^ *$' || true
      b1=$(busy_jiffies)
      busy=0
      python3 "$TMP/round.py" "$TMP/hyperfine-$i.json" "$i" "$b0" "$b1" "$HZ" "$NPROC" || busy=1
      ((busy == 1 && try < ${RETRY_BUSY:-3})) || break
      echo "  round $i was BUSY: running it again (RETRY_BUSY=${RETRY_BUSY:-3})"
      sed -i '$d' "$TMP/others.txt"
    done
  done
else
  wait_idle
  hf_base -w "$WARMUP" -r "$RUNS" --export-json "$TMP/hyperfine-1.json"
  "${HF[@]}"
fi
echo

# ---------------------------------------------------------------- 3. tables
export TMP MODE HAVE_TIME
export PASSED_LIST="${PASSED[*]}"
python3 - <<'PY'
import json, os, re, statistics

tmp, mode = os.environ["TMP"], os.environ["MODE"]
tools = os.environ["PASSED_LIST"].split()

import glob
# Runs whose exit status is not a success one (e.g. a scan that died early) are not counted.
ok = {k: v.split() for k, v in (e.split("=") for e in os.environ["OKMAP"].split(";") if e)}
times, user, system, failed = {}, {}, {}, {}
for path in sorted(glob.glob(f"{tmp}/hyperfine-*.json")):
    for r in json.load(open(path))["results"]:
        t = r["command"]
        codes = r.get("exit_codes") or [0] * len(r["times"])
        good = [x for x, c in zip(r["times"], codes) if str(c) in ok.get(t, ["0"])]
        failed[t] = failed.get(t, 0) + len(r["times"]) - len(good)
        if good:
            times.setdefault(t, []).extend(good)
            if len(good) == len(r["times"]):  # user/sys are per-call means: keep only clean calls
                user.setdefault(t, []).append(r.get("user") or 0.0)
                system.setdefault(t, []).append(r.get("system") or 0.0)
res = {}
for t, ts in times.items():
    res[t] = {"mean": statistics.fmean(ts), "min": min(ts), "max": max(ts),
              "stddev": statistics.stdev(ts) if len(ts) > 1 else 0.0,
              "cpu": statistics.fmean(user[t]) + statistics.fmean(system[t]) if user.get(t) else None}
med = {t: statistics.median(ts) for t, ts in times.items()}
timed = [t for t in tools if t in med]

def ratio(t, ref):
    return f"{med[t] / med[ref]:.2f}x" if ref in med and med[ref] > 0 else "-"

print(f"## wall time, {mode} (median of hyperfine runs; ratio = tool median / reference median)")
print(f"| {'tool':<14} | {'median s':>9} | {'mean s':>8} | {'stddev':>7} | {'min s':>8} | {'max s':>8} | {'CPU s':>7} | {'vs leakhound':>12} | {'vs rg':>7} |")
print(f"|{'-'*16}|{'-'*10}:|{'-'*9}:|{'-'*8}:|{'-'*9}:|{'-'*9}:|{'-'*8}:|{'-'*13}:|{'-'*8}:|")
for t in timed:
    r = res[t]
    cpu = f"{r['cpu']:.3f}" if r["cpu"] is not None else "-"
    print(f"| {t:<14} | {med[t]:>9.3f} | {r['mean']:>8.3f} | {r['stddev']:>7.3f} | {r['min']:>8.3f} | {r['max']:>8.3f} "
          f"| {cpu:>7} | {ratio(t, 'leakhound'):>12} | {ratio(t, 'rg'):>7} |")
print(f"(runs counted: {', '.join(f'{t} {len(times[t])}' for t in timed)}; CPU s = mean user+sys per run, from hyperfine)")
for t, n in failed.items():
    if n:
        print(f"WARNING: {n} run(s) of {t} exited with a failure status and were not counted")
if os.path.exists(f"{tmp}/others.txt"):
    rows = [l.split() for l in open(f"{tmp}/others.txt") if l.strip()]
    busy = [r[0] for r in rows if r[3] == "1"]
    worst = max(rows, key=lambda r: float(r[2]))
    print(f"other processes during the timed rounds: {sum(float(r[1]) for r in rows):.2f} CPU-s in all, "
          f"worst round {worst[0]} ({float(worst[2]):.0f}%)"
          + (f"; WARNING: rounds {', '.join(busy)} were BUSY, rerun on an idle machine" if busy else ""))
print()

if os.environ["HAVE_TIME"] != "1":
    raise SystemExit(0)

def gnu_time(t):
    out = {}
    for line in open(f"{tmp}/{t}.time"):
        k, _, v = line.strip().rpartition(": ")
        out[k] = v
    return out

def seconds(s):  # h:mm:ss or m:ss.cc
    parts = [float(x) for x in s.split(":")]
    total = 0.0
    for p in parts:
        total = total * 60 + p
    return total

print("## single run under /usr/bin/time -v (wall: one run after a cache warm-up; trust hyperfine's)")
hz, ncpu = os.sysconf("SC_CLK_TCK"), os.cpu_count()
print(f"| {'tool':<14} | {'exit':>4} | {'wall s':>8} | {'user+sys s':>10} | {'CPU %':>6} | {'peak RSS MiB':>12} | {'others CPU-s':>12} |")
print(f"|{'-'*16}|{'-'*5}:|{'-'*9}:|{'-'*11}:|{'-'*7}:|{'-'*13}:|{'-'*13}:|")
for t in tools:
    g = gnu_time(t)
    wall = seconds(g["Elapsed (wall clock) time (h:mm:ss or m:ss)"])
    cpu = float(g["User time (seconds)"]) + float(g["System time (seconds)"])
    rss = int(g["Maximum resident set size (kbytes)"]) / 1024
    code = g.get("Exit status", "?")
    b0, b1 = map(int, open(f"{tmp}/{t}.busy").read().split())
    others = max(0.0, (b1 - b0) / hz - cpu)
    flag = " BUSY" if wall and others / (ncpu * wall) > 0.10 and others > 0.1 else ""
    print(f"| {t:<14} | {code:>4} | {wall:>8.2f} | {cpu:>10.2f} | {g['Percent of CPU this job got']:>6} | {rss:>12.1f} | {others:>7.2f}{flag:>5} |")
print()

# Findings. Each tool counts differently, so several columns:
#   entries   what the report lists (gitleaks/betterleaks: one per occurrence; kingfisher: one per
#             distinct secret and rule, deduplicated; leakhound: one per (rule, secret))
#   rule+secret  distinct (rule id, secret) pairs;  secrets  distinct secret strings
#   locations    occurrences (leakhound: sum of len(locations); kingfisher: not reported, "-")
def load(path):
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        return None
    text = text.strip()
    if not text:
        return []
    try:
        return json.loads(text)
    except json.JSONDecodeError:  # JSON lines
        return [json.loads(l) for l in text.splitlines() if l.strip()]

def findings(t):
    path = f"{tmp}/{t}.report"
    if t == "rg":
        lines = [l for l in open(f"{tmp}/rg.stdout") if l.strip()]
        n = sum(int(l.rsplit(":", 1)[-1]) for l in lines)
        return (f"{len(lines)} files" if mode != "git" else "-", "-", "-", f"{n} lines")
    d = load(path)
    if d is None:
        return ("no report",) * 4
    if t == "leakhound":
        # Secrets are redacted by default; the fingerprint stands for the secret then.
        fs = d.get("findings", []) if isinstance(d, dict) else d
        locs = sum(len(f.get("locations") or []) for f in fs)
        pairs = {(f.get("rule_id"), f.get("fingerprint") or f.get("secret")) for f in fs}
        redacted = any(f.get("redacted") for f in fs)
        secrets = "-" if redacted else len({f.get("secret") for f in fs})
        return (len(fs), len(pairs), secrets, locs)
    if t == "gitleaks":
        fs = d
        pairs = {(f["RuleID"], f["Secret"]) for f in fs}
        return (len(fs), len(pairs), len({f["Secret"] for f in fs}), len(fs))
    if t == "betterleaks":
        fs = d["findings"] if isinstance(d, dict) else d
        key = lambda f: (f.get("match") or {}).get("value")
        pairs = {(f.get("rule_id"), key(f)) for f in fs}
        return (len(fs), len(pairs), len({key(f) for f in fs}), len(fs))
    if t == "kingfisher":
        fs = d["findings"] if isinstance(d, dict) else d
        key = lambda f: f["finding"]["snippet"]
        pairs = {(f["rule"]["id"], key(f)) for f in fs}
        return (len(fs), len(pairs), len({key(f) for f in fs}), "-")
    return ("-",) * 4

# What each tool says it read: bytes (and files or blobs where reported), so that one can check
# the tools scanned the same thing. Found in the JSON report (any key named bytes_scanned,
# blobs_scanned, files_scanned or items_scanned), else in the log line "scanned ~N bytes" (gitleaks).
def find_key(d, names):
    if isinstance(d, dict):
        for k, v in d.items():
            if k in names and isinstance(v, (int, float)):
                return v
        for v in d.values():
            r = find_key(v, names)
            if r is not None:
                return r
    elif isinstance(d, list) and d and not isinstance(d[0], dict):
        return None
    return None

def scanned(t):
    if t == "rg":
        return "-"
    d = load(f"{tmp}/{t}.report")
    n = find_key(d, {"bytes_scanned"}) if isinstance(d, dict) else None
    if n is None:
        m = re.search(r"scanned ~(\d+) bytes", open(f"{tmp}/{t}.stderr", errors="replace").read())
        n = int(m.group(1)) if m else None
    if n is None:
        return "-"
    files = find_key(d, {"blobs_scanned", "files_scanned", "items_scanned"}) if isinstance(d, dict) else None
    return f"{n / 1e6:.1f} MB" + (f" / {files}" if files is not None else "")

if mode != "startup":
    print("## findings (one run; see the comment in compare.sh for what each column counts)")
    print(f"| {'tool':<14} | {'entries':>11} | {'rule+secret':>11} | {'secrets':>8} | {'locations':>13} | {'read (MB / files)':>20} |")
    print(f"|{'-'*16}|{'-'*12}:|{'-'*12}:|{'-'*9}:|{'-'*14}:|{'-'*21}:|")
    for t in tools:
        try:
            e, p, s, l = findings(t)
        except Exception as exc:  # an unexpected report shape must not hide the timings
            e, p, s, l = (f"unparsed: {type(exc).__name__}", "-", "-", "-")
        try:
            r = scanned(t)
        except Exception:
            r = "-"
        print(f"| {t:<14} | {e!s:>11} | {p!s:>11} | {s!s:>8} | {l!s:>13} | {r:>20} |")
    print()
PY
