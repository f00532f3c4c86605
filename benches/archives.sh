#!/usr/bin/env bash
# benches/archives.sh: what opening archives and reading binaries' printable runs costs, and how
# leakhound compares with the archive modes of gitleaks and Kingfisher on the same input.
#
# Usage:
#   benches/archives.sh corpus DIR   build DIR from the package registries (never commit it):
#                                    wheels and sdists (pip download), npm tarballs (npm pack),
#                                    jars from Debian's Java library packages (apt-get download,
#                                    dpkg-deb -x), crates (cargo's registry cache, if present)
#   benches/archives.sh dir DIR      hyperfine on DIR: leakhound (archives and binary strings on),
#                                    leakhound with both off, gitleaks dir --max-archive-depth 3,
#                                    kingfisher (extracts archives by default, depth 3)
#   benches/archives.sh moby TREE    leakhound on a tree with few archives: default vs both off
#                                    (the issue's bound: at most 5% slower); with BASE=BINARY,
#                                    BINARY (e.g. a release build of the commit a branch started
#                                    from) vs LEAKHOUND instead
#   benches/archives.sh history DIR  a git repository committing DIR's archives over 10 commits,
#                                    then leakhound git vs gitleaks git --max-archive-depth 3 vs
#                                    kingfisher on its history
#
# gitleaks 8.30 opens archives by file name only (`.zip`, `.tar.gz`, not `.whl`, `.jar`, `.tgz`,
# which it skips as binary), so `dir` and `history` give every tool the same copy of the input
# with those names (`.whl`/`.jar`/`.nupkg` -> `.zip`, `.tgz` -> `.tar.gz`); leakhound and
# Kingfisher read content, not names. Reports go to a scratch file: leakhound refuses to write
# one to /dev/null (not a regular file) and `gitleaks git -r /dev/null` fails ("could not create
# Git log cmd").
#
# Environment: LEAKHOUND (default target/release/leakhound), PEERS (default
# ~/.cache/leakhound-peers, from benches/install-peers.sh), RUNS (hyperfine -r, default 5).
# Needs hyperfine and GNU time (Debian packages), pip, npm and apt-get for `corpus`.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
LEAKHOUND=${LEAKHOUND:-$here/target/release/leakhound}
PEERS=${PEERS:-$HOME/.cache/leakhound-peers}
RUNS=${RUNS:-5}
bin() { if [ -x "$PEERS/bin/$1" ]; then echo "$PEERS/bin/$1"; else command -v "$1" || true; fi; }
GITLEAKS=$(bin gitleaks)
KINGFISHER=$(bin kingfisher)
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT
OUT=$SCRATCH/report.json  # leakhound and the peers write their reports here, never to /dev/null

# A copy of DIR's files (flattened) under names every tool recognises as archives.
renamed() {
    local source=$1 dest=$SCRATCH/input f base
    mkdir -p "$dest"
    find "$source" -type f | while read -r f; do
        base=$(basename "$f")
        case $base in
            *.whl | *.jar | *.nupkg) base=${base%.*}.zip ;;
            *.tgz) base=${base%.tgz}.tar.gz ;;
        esac
        cp "$f" "$dest/$base"
    done
    echo "$dest"
}

corpus() {
    local dir=$1
    mkdir -p "$dir/wheels" "$dir/npm" "$dir/jars" "$dir/crates"
    pip download --no-deps --only-binary=:all: -d "$dir/wheels" -q \
        boto3 botocore requests urllib3 numpy pandas cryptography pyyaml jinja2 django flask \
        sqlalchemy pydantic grpcio protobuf google-auth azure-core paramiko
    (cd "$dir/npm" && npm pack --silent aws-sdk firebase lodash express axios typescript \
        @octokit/rest stripe twilio jsonwebtoken >/dev/null)
    local debs
    debs=$(mktemp -d)
    (cd "$debs" && apt-get download -q libcommons-lang3-java libguava-java libjackson2-databind-java \
        libhttpclient-java liblog4j2-java libslf4j-java libjsch-java libbcprov-java >/dev/null)
    for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$debs/x"; done
    find "$debs/x" -name '*.jar' -type f -exec cp {} "$dir/jars/" \;
    rm -rf "$debs"
    find "$HOME/.cargo/registry/cache" -name '*.crate' 2>/dev/null | head -200 | xargs -r cp -t "$dir/crates/"
    du -sh "$dir"/*
}

dir_mode() {
    local target
    target=$(renamed "$1")
    local cmds=("$LEAKHOUND scan $target -f json -r $OUT --exit-code 0"
        "$LEAKHOUND scan $target -f json -r $OUT --exit-code 0 --no-archives --no-binary-strings")
    [ -n "$GITLEAKS" ] && cmds+=("$GITLEAKS dir $target --no-banner --exit-code 0 --max-archive-depth 3 -f json -r $SCRATCH/peer.json")
    [ -n "$KINGFISHER" ] && cmds+=("$KINGFISHER scan $target -n --no-update-check --git-history none --extraction-depth 3 --format json -o $SCRATCH/peer.json")
    hyperfine -N -w 1 -r "$RUNS" "${cmds[@]}"
    findings "$target"
}

findings() {
    local target=$1 out
    out=$(mktemp)
    "$LEAKHOUND" scan "$target" -f json -r "$out" --exit-code 0 -q || true
    python3 - "$out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
inside = sum(1 for f in doc["findings"] if any("!" in l["path"] for l in f["locations"]))
print(f"leakhound: {len(doc['findings'])} findings, {inside} inside archives, {len(doc['notices'])} notices")
PY
    rm -f "$out"
    /usr/bin/time -f "leakhound peak RSS %M KiB, %e s, %U s user, %S s sys" "$LEAKHOUND" scan "$target" -f json -r "$OUT" --exit-code 0 -q || true
}

moby_mode() {
    local tree=$1
    if [ -n "${BASE:-}" ]; then
        hyperfine -N -w 1 -r "$RUNS" \
            "$BASE scan $tree -f json -r $OUT --exit-code 0" \
            "$LEAKHOUND scan $tree -f json -r $OUT --exit-code 0"
        for bin in "$BASE" "$LEAKHOUND" "$BASE" "$LEAKHOUND"; do
            /usr/bin/time -f "$bin: %e s wall, %U s user, %S s sys, %M KiB" \
                "$bin" scan "$tree" -f json -r "$OUT" --exit-code 0 -q
        done
        return
    fi
    hyperfine -N -w 1 -r "$RUNS" \
        "$LEAKHOUND scan $tree -f json -r $OUT --exit-code 0" \
        "$LEAKHOUND scan $tree -f json -r $OUT --exit-code 0 --no-archives --no-binary-strings"
}

history_mode() {
    local source repo
    source=$(renamed "$1")
    repo=$SCRATCH/repo
    mkdir -p "$repo"
    git -C "$repo" init -q -b main
    local files=("$source"/*)
    local per=$(( (${#files[@]} + 9) / 10 ))
    for i in $(seq 0 9); do
        for f in "${files[@]:$((i * per)):per}"; do cp "$f" "$repo/"; done
        git -C "$repo" add -A
        git -C "$repo" -c user.name=b -c user.email=b@example.org commit -q --allow-empty -m "batch $i"
    done
    local cmds=("$LEAKHOUND git $repo -f json -r $OUT --exit-code 0"
        "$LEAKHOUND git $repo -f json -r $OUT --exit-code 0 --no-archives --no-binary-strings")
    [ -n "$GITLEAKS" ] && cmds+=("$GITLEAKS git $repo --no-banner --exit-code 0 --max-archive-depth 3 -f json -r $SCRATCH/peer.json")
    [ -n "$KINGFISHER" ] && cmds+=("$KINGFISHER scan $repo -n --no-update-check --extraction-depth 3 --format json -o $SCRATCH/peer.json")
    hyperfine -N -w 1 -r "$RUNS" "${cmds[@]}"
}

case "${1:-}" in
    corpus) corpus "$2" ;;
    dir) dir_mode "$2" ;;
    moby) moby_mode "$2" ;;
    history) history_mode "$2" ;;
    *) sed -n '2,22p' "$0"; exit 2 ;;
esac
