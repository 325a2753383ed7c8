#!/usr/bin/env bash
# Checks deploy/systemd/tokengate.service: `systemd-analyze verify` (syntax, directives, the
# executables it names) and `systemd-analyze security --offline` (exposure at most 2.0 of 10), and
# that the hardening docs/deployment.md promises is in the unit. The Kubernetes manifests are
# checked by test/kubernetes-manifests.test.ts and the ingress-nginx auth by
# test/forward-auth-ingress-nginx.test.ts, which run with the other tests.
#
# Needs: systemd-analyze (Debian package systemd; installed with apt-get when missing, which needs
# root and the Debian mirror). No running systemd is needed: verify and security --offline read
# the unit file only. Idempotent; takes about 2 s (plus the apt-get install on a bare machine).
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
  echo "deploy.sh: FAILED: $*" >&2
  exit 1
}

UNIT=deploy/systemd/tokengate.service
[ -f "$UNIT" ] || fail "$UNIT is missing"

if ! command -v systemd-analyze >/dev/null; then
  echo "== installing systemd-analyze (Debian package systemd)" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd >/dev/null \
    || fail "systemd-analyze is required and could not be installed"
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# verify refuses an ExecStart= whose executable is absent, and /usr/local/bin/tokengate exists only
# where the package is installed: the copy verified names the checkout's bin/tokengate.js instead.
# Only that line differs from the unit as shipped.
grep -qx 'ExecStart=/usr/local/bin/tokengate serve' "$UNIT" || fail "$UNIT: ExecStart= is not '/usr/local/bin/tokengate serve'"
sed "s|^ExecStart=/usr/local/bin/tokengate serve\$|ExecStart=$PWD/bin/tokengate.js serve|" "$UNIT" >"$WORK/tokengate.service"
[ "$(diff "$UNIT" "$WORK/tokengate.service" | grep -c '^[<>]')" = 2 ] || fail "the ExecStart= rewrite changed more than one line"

echo "== systemd-analyze verify" >&2
# verify prints its findings and exits 0 on some of them (unknown directives are warnings): any
# output at all fails the check.
out=$(systemd-analyze verify "$WORK/tokengate.service" 2>&1) || fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify reported: $out"

echo "== systemd-analyze security --offline" >&2
# --threshold is on the 0-100 scale behind the 0.0-10.0 shown: 20 is 2.0.
systemd-analyze security --offline=yes --threshold=20 "$WORK/tokengate.service" >"$WORK/security.txt" 2>&1 \
  || fail "exposure above 2.0: $(cat "$WORK/security.txt")"
tail -n 1 "$WORK/security.txt" >&2

echo "== the unit's promises" >&2
for line in User=tokengate ProtectSystem=strict StateDirectory=tokengate NoNewPrivileges=yes ProtectHome=yes \
  PrivateTmp=yes PrivateDevices=yes ProtectKernelTunables=yes ProtectKernelModules=yes ProtectKernelLogs=yes \
  'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' SystemCallFilter=@system-service CapabilityBoundingSet= \
  LockPersonality=yes RestrictNamespaces=yes "ExecReload=/bin/sh -c 'kill -HUP \"\$\$MAINPID\"'" StateDirectoryMode=0700 \
  EnvironmentFile=/etc/tokengate/tokengate.env Environment=TOKENGATE_CONFIG=/etc/tokengate/tokengate.yaml; do
  grep -qxF -- "$line" "$UNIT" || fail "$UNIT lacks the line: $line"
done
# V8's JIT makes memory executable; the unit must not forbid it (see the comment in the unit).
! grep -q '^MemoryDenyWriteExecute=yes' "$UNIT" || fail "MemoryDenyWriteExecute=yes stops Node's JIT"

echo "deploy.sh: OK" >&2
