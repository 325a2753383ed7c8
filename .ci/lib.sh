# shellcheck shell=bash
# Sourced by .ci/container.sh and .ci/systemd.sh (from the checkout's root): their timed steps, their
# failure exit, and the podman set-up they share (the work directory and the CONTAINERS_CONF file
# that container.sh writes and systemd.sh reuses).

T0=$(date +%s)
step() { echo "== $* ($(($(date +%s) - T0)) s)" >&2; }
# Names the failing script; a script that defines on_fail prints what helps (a journal) before the exit.
fail() {
  echo "${0##*/}: FAILED: $*" >&2
  if declare -F on_fail >/dev/null; then on_fail || true; fi
  exit 1
}

WORK=${TOKENGATE_CONTAINER_WORK:-/tmp/tokengate-container}
export CONTAINERS_CONF=$WORK/containers.conf
