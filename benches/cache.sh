#!/usr/bin/env bash
# The incremental history cache: a full-history rescan after one new commit.
#
#   benches/cache.sh CORPUS
#
# CORPUS is a git repository (for example /work/corpora/git.git); it is copied first (nothing is
# written into it). With the release binary ($LEAKHOUND, default target/release/leakhound), under
# /usr/bin/time -v and LEAKHOUND_TIMINGS=1, one run each:
#   1. uncached full scan (--no-cache): the baseline;
#   2. the first cached scan (fills the cache under the copy's git directory);
#   3. one commit added to the copy (a new file in HEAD's tree, with plumbing);
#   4. the cached rescan, then the same with --allow-missing-objects (no presence check of trees);
#   5. an uncached rescan (with and without the presence check), and a byte comparison of the
#      cached and uncached rescans' `findings`.
# Prints one line per run (wall, CPU user+sys, peak RSS, cache served) and the phase timings.
set -euo pipefail

corpus=${1:?usage: benches/cache.sh CORPUS}
root=$(cd "$(dirname "$0")/.." && pwd)
leakhound=${LEAKHOUND:-$root/target/release/leakhound}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "copying $corpus"
cp -a "$corpus" "$work/repo"
repo=$work/repo

# run NAME ARGS...: one timed scan, JSON report in $work/NAME.json.
run() {
    local name=$1
    shift
    LEAKHOUND_TIMINGS=1 /usr/bin/time -v "$leakhound" git "$repo" -f json -r "$work/$name.json" \
        --exit-code 0 -q "$@" 2>"$work/$name.err" || true
    python3 - "$work/$name.json" "$work/$name.err" "$name" <<'EOF'
import json, re, sys
doc = json.load(open(sys.argv[1]))
err = open(sys.argv[2]).read()
def field(name):
    m = re.search(rf"{re.escape(name)}: (.*)", err)
    return m.group(1).strip() if m else "?"
cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
cache = doc["coverage"].get("cache") or {}
print(f"{sys.argv[3]:28} wall {field('Elapsed (wall clock) time (h:mm:ss or m:ss)'):>8}  "
      f"cpu {cpu:7.2f} s  peak {int(field('Maximum resident set size (kbytes)')) // 1024:5} MiB  "
      f"blobs {doc['coverage']['items_scanned']:7}  cache {cache.get('state', '-')} "
      f"served {cache.get('served', 0)} matched-again {cache.get('matched_again', 0)} "
      f"stored {cache.get('stored', 0)}  findings {len(doc['findings'])}")
for line in err.splitlines():
    if "timing:" in line:
        print("    " + line.split("timing: ", 1)[1])
EOF
}

run uncached --no-cache
run first-cached

# One commit on HEAD: a new file with a new (fake, generated) token-shaped line.
export GIT_DIR=$repo GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.org
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.org
blob=$(printf 'bench %s\nkey = "AKIA%s"\n' "$(date +%s)" "QYLPMN5HHHFPZ7M2" | git hash-object -w --stdin)
tree=$( (git ls-tree HEAD; printf '100644 blob %s\tleakhound-bench.txt\n' "$blob") | git mktree)
commit=$(echo "bench commit" | git commit-tree "$tree" -p HEAD)
git update-ref HEAD "$commit"
unset GIT_DIR
echo "added commit $commit"

run rescan-cached
run rescan-cached-no-presence --allow-missing-objects
run rescan-uncached --no-cache
run rescan-uncached-no-presence --no-cache --allow-missing-objects

python3 - "$work/rescan-cached.json" "$work/rescan-uncached.json" <<'EOF'
import sys
def findings(path):
    text = open(path).read()
    start = text.index('"findings":')
    return text[start:text.index('"suppressed":', start)]
a, b = findings(sys.argv[1]), findings(sys.argv[2])
print("findings byte-identical (cached vs uncached rescan):", a == b, f"({len(a)} bytes)")
EOF
