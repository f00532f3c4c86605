#!/usr/bin/env bash
# Fetches the benchmark corpora into DIR (default: ../leakhound-corpora beside this clone), pinned to
# fixed commits so that numbers measured on different days compare:
#   DIR/moby      the files of moby/moby at a pinned commit, WITHOUT .git (about 13k files, 112 MiB:
#                 betterleaks' `fs` would read .git's packs, the other tools skip it)
#   DIR/git.git   a bare mirror of git/git (full history, about 5.6 GB of unique blob content)
# Needs git and network access to GitHub, once. Set MIRROR_moby / MIRROR_git to a local clone or
# bare repository to copy from instead (no network). Never commit a corpus into this repository.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
DIR=${1:-"$here/../../leakhound-corpora"}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

# Pinned tips (the commits the benches/README.md tables were measured on).
MOBY_URL=${MIRROR_moby:-https://github.com/moby/moby.git}
GIT_URL=${MIRROR_git:-https://github.com/git/git.git}
MOBY_COMMIT=${MOBY_COMMIT:-b985e2313a8676e18072b442911fc8f64f17d440}
GIT_COMMIT=${GIT_COMMIT:-1a3e64c6c4a623626ff0687008732a8e007e2a1c}

if [ ! -d "$DIR/moby" ]; then
  [ -d "$DIR/moby.git" ] || git clone -q --bare "$MOBY_URL" "$DIR/moby.git"
  mkdir -p "$DIR/moby"
  git --git-dir="$DIR/moby.git" archive "$MOBY_COMMIT" | tar -x -C "$DIR/moby"
fi
if [ ! -d "$DIR/git.git" ]; then
  git clone -q --mirror "$GIT_URL" "$DIR/git.git"
fi
# The history benches scan every object; the tip only documents which state was measured.
git --git-dir="$DIR/git.git" cat-file -e "$GIT_COMMIT" 2>/dev/null ||
  echo "note: $GIT_COMMIT is not in $DIR/git.git (a newer mirror): numbers will differ" >&2
echo "moby:    $DIR/moby (${MOBY_COMMIT:0:12}, $(find "$DIR/moby" -type f | wc -l) files, $(du -sh "$DIR/moby" | cut -f1))"
echo "git.git: $DIR/git.git ($(git --git-dir="$DIR/git.git" rev-list --all --count) commits)"
