#!/usr/bin/env bash
# What splitting one history costs, and a run over many repositories.
#
#   benches/shards.sh [CORPUS] [REPOS]
#
# CORPUS (default /work/corpora/git.git, else fetch it with benches/corpora.sh) is a git
# repository; REPOS (default 100) the number of repositories generated for part 3. Uses the
# release binary ($LEAKHOUND, default target/release/leakhound). Measures with /usr/bin/time -v:
#   1. the full history in 1 process (-j 2) against 2 shards run at once as 2 processes (-j 1
#      each, so both use the same 2 cores), then `report merge`; the merged JSON must equal the
#      unsharded JSON (summary.duration_ms aside);
#   2. the per-shard overhead: a shard that owns (almost) no blob (`--shard I/1000000`) still
#      walks every commit (and shard 0 decodes every tree, to check that every referenced object
#      is present): its CPU time over the unsharded run's is the fraction of the work that shard
#      repeats, for shard 1 (what N-1 shards pay) and shard 0;
#   3. `leakhound repos` over REPOS generated repositories listed as file:// URLs (so each is
#      cloned and deleted), -j 2: wall, CPU, peak disk of the clone directory and peak memory of
#      the whole process tree (sampled every 100 ms).
# PARTS (default "1 2 3") picks the parts to run. Nothing is written into CORPUS. Linux only.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
corpus=${1:-/work/corpora/git.git}
repos=${2:-100}
leakhound=${LEAKHOUND:-$root/target/release/leakhound}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export LEAKHOUND_FINGERPRINT_KEY=bench-shards
[ -d "$corpus" ] || { echo "no corpus at $corpus: run benches/corpora.sh" >&2; exit 1; }

# stats FILE: "wall W s  cpu C s  peak RSS R MiB" from a /usr/bin/time -v log.
stats() {
    awk '
        /Elapsed \(wall clock\)/ { n = split($NF, t, ":"); wall = (n == 3) ? t[1] * 3600 + t[2] * 60 + t[3] : t[1] * 60 + t[2] }
        /User time/ { user = $NF } /System time/ { sys = $NF }
        /Maximum resident set size/ { rss = $NF }
        END { printf "wall %7.2f s  cpu %7.2f s  peak RSS %5.0f MiB\n", wall, user + sys, rss / 1024 }' "$1"
}
cpu() { awk '/User time/ { u = $NF } /System time/ { s = $NF } END { print u + s }' "$1"; }
wall() { awk '/Elapsed \(wall clock\)/ { n = split($NF, t, ":"); print (n == 3) ? t[1] * 3600 + t[2] * 60 + t[3] : t[1] * 60 + t[2] }' "$1"; }
normalise() { sed 's/"duration_ms": [0-9]*/"duration_ms": 0/' "$1"; }

parts=${PARTS:-1 2 3}
has() { [[ " $parts " == *" $1 "* ]]; }
if has 1 || has 2; then
echo "== $corpus: full history, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
/usr/bin/time -v "$leakhound" git "$corpus" -j 2 -q --no-cache -f json -r "$work/whole.json" 2>"$work/whole.time" || true
echo "1 process (-j 2):         $(stats "$work/whole.time")"
cpu1=$(cpu "$work/whole.time")
fi
if has 1; then

start=$(date +%s.%N)
for i in 0 1; do
    /usr/bin/time -v "$leakhound" git "$corpus" -j 1 -q --shard "$i/2" -f json -r "$work/shard-$i.json" 2>"$work/shard-$i.time" &
done
wait || true
both=$(echo "$(date +%s.%N) - $start" | bc)
for i in 0 1; do echo "  shard $i/2 (-j 1):        $(stats "$work/shard-$i.time")"; done
/usr/bin/time -v "$leakhound" report merge "$work/shard-0.json" "$work/shard-1.json" -q -f json -r "$work/merged.json" 2>"$work/merge.time" || true
echo "  report merge:            $(stats "$work/merge.time")"
if cmp -s <(normalise "$work/whole.json") <(normalise "$work/merged.json"); then
    echo "  merged report == unsharded report (duration_ms aside)"
else
    echo "  MERGED REPORT DIFFERS from the unsharded one:" >&2
    cat "$work/merge.time" >&2
    diff <(normalise "$work/whole.json") <(normalise "$work/merged.json") | head -20 >&2 || true
    exit 1
fi
cpu2=$(echo "$(cpu "$work/shard-0.time") + $(cpu "$work/shard-1.time") + $(cpu "$work/merge.time")" | bc)
printf "2 shards as 2 processes:  wall %7.2f s (both at once, merge excluded)  cpu %7.2f s (with merge)\n" "$both" "$cpu2"
printf "ratio 2 shards / 1 process: wall %.2f  cpu %.2f\n" "$(echo "$both / $(wall "$work/whole.time")" | bc -l)" "$(echo "$cpu2 / $cpu1" | bc -l)"
fi
if has 2; then

# Shard 0 also checks that every referenced object is present (every tree decoded); the others
# leave that to it. Both kinds are measured.
for i in 1 0; do
    /usr/bin/time -v "$leakhound" git "$corpus" -j 2 -q --shard "$i/1000000" -f json -r "$work/empty-$i.json" 2>"$work/empty-$i.time" || true
    echo "== per-shard overhead: shard $i/1000000, owning almost no blob (-j 2)"
    echo "  $(stats "$work/empty-$i.time"), $(grep -o '"items_scanned": [0-9]*' "$work/empty-$i.json" | head -1)"
    printf "  overhead = its cpu / the unsharded cpu = %.3f\n" "$(echo "$(cpu "$work/empty-$i.time") / $cpu1" | bc -l)"
done
fi
has 3 || exit 0

echo "== leakhound repos: $repos generated repositories as file:// URLs, -j 2"
mkdir -p "$work/repos" "$work/clones"
for i in $(seq 1 "$repos"); do
    r=$work/repos/r$i
    git init -q "$r"
    for c in 1 2 3; do
        seq 1 $((200 * c)) | sed "s/^/line $i $c /" >"$r/file$c.txt"
        git -C "$r" add -A
        git -C "$r" -c user.name=bench -c user.email=bench@example.org commit -q -m "c$c"
    done
    echo "file://$r" >>"$work/list.txt"
done
echo "  generated: $(du -sh "$work/repos" | cut -f1) in $repos repositories"
/usr/bin/time -v "$leakhound" repos "$work/list.txt" -j 2 --work-dir "$work/clones" -q -f json -r "$work/repos.json" 2>"$work/repos.time" &
timer=$!
peak_disk=0 peak_rss=0
while kill -0 "$timer" 2>/dev/null; do
    # (Clones vanish while du walks them: take what it printed, never fail.)
    d=$({ du -sk "$work/clones" 2>/dev/null || true; } | awk '{ s = $1 } END { print s + 0 }')
    ((d > peak_disk)) && peak_disk=$d
    # Every process of the tree: leakhound repos, its git clones and its leakhound git children.
    r=$(ps -eo rss=,args= | awk -v bin="$leakhound" '$2 == bin || $2 ~ /^git/ || $2 ~ /git-(upload|index|remote)/ { s += $1 } END { print s + 0 }')
    ((r > peak_rss)) && peak_rss=$r
    sleep 0.1
done
wait "$timer" || true
echo "  $(stats "$work/repos.time") (the repos process itself)"
echo "  peak disk of the clone directory: $((peak_disk / 1024)) MiB ($peak_disk KiB); left after the run: $(du -sk "$work/clones" | cut -f1) KiB"
echo "  peak memory of the process tree (sampled RSS sum): $((peak_rss / 1024)) MiB"
echo "  repositories scanned: $(grep -c '"status": "scanned"' "$work/repos.json"), failed: $(grep -c '"status": "failed"' "$work/repos.json" || true)"
