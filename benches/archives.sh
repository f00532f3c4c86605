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
#                                    (the issue's bound: at most 5% slower)
#   benches/archives.sh history DIR  a git repository committing DIR's archives over 10 commits,
#                                    then leakhound git vs gitleaks git --max-archive-depth 3 vs
#                                    kingfisher on its history
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
    local target=$1
    local cmds=("$LEAKHOUND scan $target -f json -r /dev/null --exit-code 0"
        "$LEAKHOUND scan $target -f json -r /dev/null --exit-code 0 --no-archives --no-binary-strings")
    [ -n "$GITLEAKS" ] && cmds+=("$GITLEAKS dir $target --no-banner --exit-code 0 --max-archive-depth 3 -f json -r /dev/null")
    [ -n "$KINGFISHER" ] && cmds+=("$KINGFISHER scan $target -n --no-update-check --git-history none --extraction-depth 3 --format json -o /dev/null")
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
    /usr/bin/time -f "leakhound peak RSS %M KiB, %e s" "$LEAKHOUND" scan "$target" -f json -r /dev/null --exit-code 0 -q || true
}

moby_mode() {
    local tree=$1
    hyperfine -N -w 1 -r "$RUNS" \
        "$LEAKHOUND scan $tree -f json -r /dev/null --exit-code 0" \
        "$LEAKHOUND scan $tree -f json -r /dev/null --exit-code 0 --no-archives --no-binary-strings"
}

history_mode() {
    local source=$1 repo
    repo=$(mktemp -d)
    git -C "$repo" init -q -b main
    local files=("$source"/*/*)
    local per=$(( (${#files[@]} + 9) / 10 ))
    for i in $(seq 0 9); do
        for f in "${files[@]:$((i * per)):per}"; do cp "$f" "$repo/"; done
        git -C "$repo" add -A
        git -C "$repo" -c user.name=b -c user.email=b@example.org commit -q -m "batch $i"
    done
    local cmds=("$LEAKHOUND git $repo -f json -r /dev/null --exit-code 0"
        "$LEAKHOUND git $repo -f json -r /dev/null --exit-code 0 --no-archives --no-binary-strings")
    [ -n "$GITLEAKS" ] && cmds+=("$GITLEAKS git $repo --no-banner --exit-code 0 --max-archive-depth 3 -f json -r /dev/null")
    [ -n "$KINGFISHER" ] && cmds+=("$KINGFISHER scan $repo -n --no-update-check --extraction-depth 3 --format json -o /dev/null")
    hyperfine -N -w 1 -r "$RUNS" "${cmds[@]}"
    rm -rf "$repo"
}

case "${1:-}" in
    corpus) corpus "$2" ;;
    dir) dir_mode "$2" ;;
    moby) moby_mode "$2" ;;
    history) history_mode "$2" ;;
    *) sed -n '2,22p' "$0"; exit 2 ;;
esac
