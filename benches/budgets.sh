#!/usr/bin/env bash
# benches/budgets.sh: memory and time budgets of leakhound on large inputs.
#
# Measures peak RSS and wall time (GNU time: %M and %e) of a release build on:
#   1. a multi-line text file (300 MB; linearity at 50/100/200 MB),
#   2. a single-line file, minified-JS-like, no newline at all (200 MB; 50/100/200),
#   3. one blob in git history: `leakhound git` on a repository with one commit holding it
#      (200 MB; 50/100/200),
# and prints, per kind, the time ratios between sizes (2.00 = twice as long for twice the bytes
# is linear) and whether peak memory stays flat. Fake tokens are planted so findings exist.
#
# Usage: benches/budgets.sh            (builds release first; RUNS=3 runs per point, median)
# Environment: LEAKHOUND=path (skip the build), RUNS=N, WORK=dir (default: a temp dir, removed),
#              SIZES="50 100 200", MULTI=300 (the large multi-line size in MB).
# Needs: GNU time at /usr/bin/time, git, python3. Nothing here is a timed test: it reports.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
SIZES=${SIZES:-"50 100 200"}
MULTI=${MULTI:-300}
if [[ -z "${LEAKHOUND:-}" ]]; then
  cargo build --release --locked -q
  LEAKHOUND=$PWD/target/release/leakhound
fi
WORK=${WORK:-$(mktemp -d)}
mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT
echo "leakhound: $LEAKHOUND ($("$LEAKHOUND" --version)); $(nproc) cores; runs per point: $RUNS"

# make_input KIND MB PATH: writes a generated file (fake tokens from fixtures/fake_tokens.py).
make_input() {
  python3 - "$1" "$2" "$3" <<'PY'
import subprocess, sys
kind, mb, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
out = subprocess.run([sys.executable, "fixtures/fake_tokens.py", "--count", "2", "github.pat.classic",
                      "aws.access-key-id"], capture_output=True, text=True, check=True).stdout.split()
tokens = [t for t in out if t.startswith(("ghp_", "AKIA"))]
if kind == "multi":
    block = "".join(f"def handler_{i}(request):  # parse the token and password fields\n"
                    f"    value = compute(request.args['item_{i}'], secret=None)\n" for i in range(200))
    planted = "".join(f"GH_TOKEN={t}\n" for t in tokens)
else:
    block = "".join(f"function f{i}(a){{return a.token||a.key||{i}}};var x{i}='api';" for i in range(300))
    planted = "".join(f"var t='{t}';" for t in tokens)
# The tokens once at the start, the middle and the end, so findings (and their locations) do not
# grow with the input: memory measured is the scanner's, not the report's.
size = mb * 1000 * 1000
chunk = (block * (1 + (1 << 20) // len(block))).encode()
with open(path, "wb") as f:
    written = 0
    for at in (0, size // 2, size - 4 * len(planted)):
        while written + len(chunk) <= at:
            f.write(chunk); written += len(chunk)
        f.write(chunk[: at - written]); written = at
        f.write(planted.encode()); written += len(planted)
    while written < size:
        n = min(len(chunk), size - written)
        f.write(chunk[:n]); written += n
PY
}

# measure NAME ARGS...: runs leakhound RUNS times, prints the median wall time and the max RSS.
measure() {
  local name=$1; shift
  local times=() rss=0 out code
  for _ in $(seq "$RUNS"); do
    out=$( { /usr/bin/time -f "%e %M" "$LEAKHOUND" "$@" -f json -r "$WORK/report.json" -q >/dev/null; } 2>&1 | tail -n 1 ) || true
    code=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["findings"]), d["summary"]["complete"])' "$WORK/report.json")
    times+=("${out% *}")
    (( ${out#* } > rss )) && rss=${out#* }
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -g | sed -n "$(( (RUNS + 1) / 2 ))p")
  printf '%-28s wall %7.2f s  peak RSS %7.1f MiB  (findings, complete: %s)\n' "$name" "$median" "$(echo "$rss / 1024" | bc -l)" "$code"
  echo "$median $rss" > "$WORK/last"
}

# series KIND: runs the SIZES for a kind and prints the ratios.
series() {
  local kind=$1 prev_time="" prev_size="" line t r
  for mb in $SIZES; do
    target=$(input_for "$kind" "$mb")
    if [[ $kind == git ]]; then measure "git blob $mb MB" git "$target"; else measure "$kind $mb MB" scan "$target"; fi
    read -r t r < "$WORK/last"
    if [[ -n $prev_time ]]; then
      printf '    ratio %s->%s MB: time x%.2f (linear: x%.2f)\n' "$prev_size" "$mb" "$(echo "$t / $prev_time" | bc -l)" "$(echo "$mb / $prev_size" | bc -l)"
    fi
    prev_time=$t; prev_size=$mb
    rm -rf "$target"
  done
}

# input_for KIND MB: builds the input and prints its path (a file, or a repository for git).
input_for() {
  local kind=$1 mb=$2
  if [[ $kind == git ]]; then
    local repo=$WORK/repo-$mb
    mkdir -p "$repo"
    make_input single "$mb" "$repo/bundle.min.js"
    git -C "$repo" init -q -b main
    git -C "$repo" add bundle.min.js
    git -C "$repo" -c user.name=Bench -c user.email=bench@example.org commit -q -m blob
    rm "$repo/bundle.min.js"
    echo "$repo"
  else
    make_input "$kind" "$mb" "$WORK/$kind-$mb.txt"
    echo "$WORK/$kind-$mb.txt"
  fi
}

echo "== multi-line text"
series multi
SIZES=$MULTI series multi
echo "== single line (no newline)"
series single
echo "== one blob in git history (leakhound git)"
series git
