#!/usr/bin/env bash
# Size and load time of the HTML report at N findings (default 10,000), in headless Chromium.
#
#   bash benches/html-report.sh [N] [LEAKHOUND_BINARY]
#
# Builds a git repository in a temp dir with N distinct fake GitHub tokens (fixtures/fake_tokens.py,
# 100 per file, one commit per file, so every location carries git provenance), writes
# `leakhound git -f html`, and loads it in /usr/bin/chromium three times. Prints the file size,
# the page's own render time (the script stamps `data-render-ms` on <body>: parse the JSON, build
# the summary and the first page of rows), the time from navigation start to that point
# (`data-ready-ms`: reading and parsing the HTML included), and Chromium's wall time for load + dump (which includes
# browser start-up). Needs python3, git and chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-10000}"
bin="${2:-target/release/leakhound}"
[ -x "$bin" ] || bin=target/debug/leakhound
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
repo="$work/repo"
mkdir -p "$repo"
git -C "$repo" init -q -b main
python3 fixtures/fake_tokens.py --seed 11 --count "$n" github.pat.classic > "$work/tokens"
split -l 100 -d -a 4 "$work/tokens" "$repo/tokens-"
for f in "$repo"/tokens-*; do
  sed -i 's/^/token = /' "$f"
  git -C "$repo" add "$(basename "$f")"
  GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.org GIT_COMMITTER_NAME=Bench \
    GIT_COMMITTER_EMAIL=bench@example.org git -C "$repo" commit -q -m "add $(basename "$f")"
done
git -C "$repo" tag v1
"$bin" git "$repo" -f html -r "$work/report.html" -q || [ $? -eq 1 ]
"$bin" git "$repo" -f json -q | python3 -c 'import json,sys; print("findings:", len(json.load(sys.stdin)["findings"]))' || true
echo "html bytes: $(stat -c %s "$work/report.html")"
for i in 1 2 3; do
  start=$(date +%s.%N)
  /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/profile-$i" --dump-dom "file://$work/report.html" 2>/dev/null > "$work/dom.html"
  end=$(date +%s.%N)
  render=$(grep -o 'data-render-ms="[0-9]*" data-ready-ms="[0-9]*"' "$work/dom.html" | head -1)
  rows=$(grep -o 'data-fingerprint="' "$work/dom.html" | wc -l)
  printf 'run %d: %s, rows drawn %d, chromium load+dump wall %.2f s\n' "$i" "$render" "$rows" "$(echo "$end - $start" | bc)"
done
