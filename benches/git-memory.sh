#!/usr/bin/env bash
# Peak memory and time of `leakhound git` full-history scans.
#
#   benches/git-memory.sh CORPUS [--peers]
#
# CORPUS is a git repository (for example a clone of git/git). Measures, with the release binary
# ($LEAKHOUND, default target/release/leakhound):
#   1. a full-history scan of CORPUS: wall, CPU, peak RSS (/usr/bin/time -v) and the peaks of the
#      anonymous and file-backed parts of RSS (sampled from /proc every 100 ms), plus the phase
#      timings and memory leakhound prints with LEAKHOUND_TIMINGS=1;
#   2. a temporary repository with one commit of a 200 MiB text file: peak RSS should be about
#      the blob's size plus a constant;
#   3. with --peers, Kingfisher default and --turbo on CORPUS (from $PEERS/bin, default
#      ~/.cache/leakhound-peers/bin), for the ratio. They take minutes.
# Linux only (/proc). Nothing is written into CORPUS.
set -euo pipefail

corpus=${1:?usage: benches/git-memory.sh CORPUS [--peers]}
peers=${2:-}
root=$(cd "$(dirname "$0")/.." && pwd)
leakhound=${LEAKHOUND:-$root/target/release/leakhound}
peer_bin=${PEERS:-$HOME/.cache/leakhound-peers/bin}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# measure NAME CMD...: runs CMD under /usr/bin/time -v, samples its RSS, prints one summary line.
measure() {
    local name=$1
    shift
    LEAKHOUND_TIMINGS=1 /usr/bin/time -v "$@" >/dev/null 2>"$work/$name.err" &
    local timer=$! pid="" anon=0 file=0
    while kill -0 "$timer" 2>/dev/null; do
        [ -z "$pid" ] && pid=$(pgrep -P "$timer" | head -1 || true)
        if [ -n "$pid" ] && [ -r "/proc/$pid/status" ]; then
            read -r a f < <(awk '/^RssAnon/ {a=$2} /^RssFile/ {f=$2} END {print a+0, f+0}' "/proc/$pid/status" 2>/dev/null || echo "0 0")
            ((a > anon)) && anon=$a
            ((f > file)) && file=$f
        fi
        sleep 0.1
    done
    wait "$timer" || true
    grep 'leakhound: timing' "$work/$name.err" | sed "s/^leakhound: timing: /  $name: /" || true
    awk -v name="$name" -v anon="$anon" -v file="$file" '
        /Elapsed \(wall clock\)/ { n = split($NF, t, ":"); wall = (n == 3) ? t[1] * 3600 + t[2] * 60 + t[3] : t[1] * 60 + t[2] }
        /User time/ { user = $NF } /System time/ { sys = $NF }
        /Maximum resident set size/ { rss = $NF }
        END { printf "%-22s wall %7.2f s  cpu %7.2f s  peak RSS %6.0f MiB  (peak anon %5.0f MiB, peak file-backed %5.0f MiB)\n",
              name, wall, user + sys, rss / 1024, anon / 1024, file / 1024 }' "$work/$name.err"
}

echo "== full history of $corpus ($(git -C "$corpus" rev-list --all --count) commits reachable, $(git -C "$corpus" count-objects -v | awk '/in-pack/ {print $2}') packed objects)"
measure leakhound "$leakhound" git "$corpus" -q -f json -r "$work/leakhound.json"
echo "  findings: $(grep -o '"rule_id"' "$work/leakhound.json" | wc -l)"

echo "== one commit of a 200 MiB text file"
big=$work/big
git init -q "$big"
# base64 of random bytes: text, so it is matched, and it does not compress away. (The producers
# get SIGPIPE when head has enough; that is expected.)
{ head -c $((150 << 20)) /dev/urandom | base64 -w 100 || true; } | head -c $((200 << 20)) >"$big/big.txt"
git -C "$big" add big.txt
git -C "$big" -c user.name=bench -c user.email=bench@example.com commit -qm big
git -C "$big" gc -q
measure big-blob "$leakhound" git "$big" -q -f json -r "$work/big.json"

if [ "$peers" = "--peers" ]; then
    echo "== peers on $corpus"
    measure kingfisher "$peer_bin/kingfisher" scan "$corpus" -n --no-update-check --format json -o "$work/kf.json"
    measure kingfisher-turbo "$peer_bin/kingfisher" scan "$corpus" -n --no-update-check --turbo --format json -o "$work/kft.json"
fi
