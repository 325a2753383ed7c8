#!/usr/bin/env bash
# Runs deploy/systemd/tokengate.service under a real systemd: PID 1 of a podman container
# (--systemd=always) built from the Debian and Node 22 images .ci/container.sh makes, with the
# application of the image it builds (localhost/tokengate:ci) installed where `npm install -g` puts
# it (/usr/local/lib/node_modules/tokengate, /usr/local/bin/tokengate). Then, as docs/deployment.md
# says: its install block (between the systemd-install markers) run as written, a token created
# with the CLI as the service user, a request through the gateway with it, `systemctl reload`
# (SIGHUP, which must be logged and must not stop the service), a restart (the token still works:
# the data is in /var/lib/tokengate), and `systemctl stop` (exit 0, the shutdown line in the journal).
#
# Needs: root, podman as .ci/container.sh sets it up, and that script's images (run it first).
# Idempotent: the systemd base image is cached in podman's storage; the container it runs is
# removed at the start and at the end. Time: about 1 min for the cached base image (apt-get install
# systemd), then seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

. .ci/lib.sh
[ -f "$CONTAINERS_CONF" ] || fail "$CONTAINERS_CONF is missing: run .ci/container.sh first"
NODE_IMAGE=localhost/node-base:22
APP_IMAGE=localhost/tokengate:ci
SYSTEMD_IMAGE=localhost/systemd-base:22
UNIT_IMAGE=localhost/tokengate-systemd:ci
NAME=tokengate-ci-systemd
# A failure's report ends with the service's last journal lines.
on_fail() { podman exec "$NAME" journalctl --no-pager -n 40 -u tokengate >&2 2>/dev/null; }
PORT=18580
ADMIN_PORT=18581
podman image exists "$APP_IMAGE" || fail "$APP_IMAGE is missing: run .ci/container.sh first"

cleanup() { podman rm -f -t 5 "$NAME" >/dev/null 2>&1 || true; }
trap cleanup EXIT
cleanup

# --- images ------------------------------------------------------------------------------------
CTX=$WORK/systemd
rm -rf "$CTX" && mkdir -p "$CTX"
if podman image exists "$SYSTEMD_IMAGE"; then
  step "systemd base image $SYSTEMD_IMAGE: cached"
else
  step "systemd base image $SYSTEMD_IMAGE: apt-get install systemd"
  cat >"$CTX/Containerfile.base" <<BASEFILE
FROM $NODE_IMAGE
RUN apt-get update -qq \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd systemd-sysv curl >/dev/null \\
 && rm -rf /var/lib/apt/lists/*
CMD ["/sbin/init"]
BASEFILE
  timeout 600 podman build -q --pull=never --network host -t "$SYSTEMD_IMAGE" -f "$CTX/Containerfile.base" "$CTX" \
    >"$WORK/systemd-base.log" 2>&1 || { tail -n 20 "$WORK/systemd-base.log" >&2; fail "systemd base image"; }
fi

step "unit image $UNIT_IMAGE: the application where npm install -g puts it"
cat >"$CTX/Containerfile" <<UNITFILE
FROM $SYSTEMD_IMAGE
COPY --from=$APP_IMAGE /app /usr/local/lib/node_modules/tokengate
RUN ln -s ../lib/node_modules/tokengate/bin/tokengate.js /usr/local/bin/tokengate && tokengate --version
UNITFILE
timeout 300 podman build -q --pull=never -t "$UNIT_IMAGE" "$CTX" >"$WORK/systemd-unit.log" 2>&1 ||
  { tail -n 20 "$WORK/systemd-unit.log" >&2; fail "unit image"; }

# --- the files the docs' block installs, and the block itself ----------------------------------
SRC=$CTX/src
mkdir -p "$SRC/deploy"
cp -r deploy/systemd "$SRC/deploy/"
printf 'port: %s\nadminPort: %s\n' "$PORT" "$ADMIN_PORT" >"$SRC/tokengate.yaml"
printf 'TOKENGATE_ADMIN_PASSWORD=systemd-ci-password-1\n' >"$SRC/tokengate.env"
awk '/<!-- systemd-install/ { on = 1; next } /<!-- \/systemd-install -->/ { on = 0 } on && /^```/ { inside = !inside; next } on && inside' \
  docs/deployment.md >"$SRC/install.sh"
grep -q 'systemctl daemon-reload && systemctl enable --now tokengate' "$SRC/install.sh" ||
  fail "no install block between the systemd-install markers of docs/deployment.md"

# --- systemd as PID 1 ----------------------------------------------------------------------------
step "run: systemd as PID 1"
podman run -d --pull=never --systemd=always --network host --name "$NAME" -v "$SRC:/src:ro" "$UNIT_IMAGE" >/dev/null
inside() { timeout 120 podman exec "$NAME" bash -c "$1"; }
for _ in $(seq 1 60); do
  state=$(podman exec "$NAME" systemctl is-system-running 2>/dev/null || true)
  case $state in running | degraded) break ;; esac
  sleep 1
done
case $state in running | degraded) ;; *) fail "systemd did not come up: $state" ;; esac

step "docs/deployment.md's install block"
inside 'cd /src && set -ex && . ./install.sh' >"$WORK/systemd-install.log" 2>&1 ||
  { cat "$WORK/systemd-install.log" >&2; fail "the install block"; }
wait_ready() {
  for _ in $(seq 1 60); do
    inside "curl -sf http://127.0.0.1:$PORT/_tokengate/readyz" >/dev/null 2>&1 && return 0
    sleep 1
  done
  fail "tokengate not ready on :$PORT within 60 s"
}
wait_ready
[ "$(inside 'systemctl is-active tokengate')" = active ] || fail "the service is not active"
[ "$(inside 'stat -c %U:%a /var/lib/tokengate')" = tokengate:700 ] || fail "/var/lib/tokengate is not tokengate's, mode 700"

step "a token from the CLI as the service user, and a request with it"
TOKEN=$(inside 'runuser -u tokengate -- env TOKENGATE_CONFIG=/etc/tokengate/tokengate.yaml TOKENGATE_DATA_DIR=/var/lib/tokengate tokengate token create --user admin --description ci --expires 1d') ||
  fail "tokengate token create"
case $TOKEN in tgp_*) ;; *) fail "token create printed no token" ;; esac
request() { curl -s -o "$WORK/systemd-body" -w '%{http_code}' --max-time 10 -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/hello"; }
code=$(request) || true
[ "$code" = 200 ] || fail "GET /hello with the token answered $code"
grep -qi 'x-forwarded-user.*admin' "$WORK/systemd-body" || fail "the upstream did not see X-Forwarded-User admin"

step "systemctl reload: SIGHUP, logged, the service stays"
pid=$(inside 'systemctl show -p MainPID --value tokengate')
inside 'systemctl reload tokengate' || fail "systemctl reload failed"
for _ in $(seq 1 10); do
  inside 'journalctl --no-pager -u tokengate' | grep -q 'SIGHUP received' && break
  sleep 1
done
inside 'journalctl --no-pager -u tokengate' | grep -q 'SIGHUP received' || fail "no SIGHUP line in the journal after reload"
[ "$(inside 'systemctl show -p MainPID --value tokengate')" = "$pid" ] || fail "reload restarted the process"

step "systemctl restart: the data stays"
inside 'systemctl restart tokengate' || fail "systemctl restart failed"
wait_ready
code=$(request) || true
[ "$code" = 200 ] || fail "after the restart, GET /hello with the token answered $code"

step "systemctl stop: exit 0 and the shutdown line"
inside 'systemctl stop tokengate' || fail "systemctl stop failed"
[ "$(inside 'systemctl show -p Result --value tokengate')" = success ] || fail "the stop did not end in success"
[ "$(inside 'systemctl show -p ExecMainStatus --value tokengate')" = 0 ] || fail "the process did not exit 0"
# journald may take a moment to store the last lines: wait for both shutdown lines (the restart's
# and this stop's), so that the restart's alone cannot pass for this one.
shutdowns() { inside 'journalctl --no-pager -u tokengate' | grep -c 'SIGTERM received, shutting down' || true; }
for _ in $(seq 1 10); do
  [ "$(shutdowns)" -ge 2 ] && break
  sleep 1
done
[ "$(shutdowns)" -ge 2 ] || fail "no shutdown line in the journal for the stop"

step "systemd.sh: all passed"
