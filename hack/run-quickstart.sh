#!/usr/bin/env bash
# The README's first command (make run): starts the three example backends that
# examples/quickstart/backends.yaml points at, then Turnpike in standalone mode on
# that directory, in the foreground. Ctrl-C stops everything.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONFIG="${CONFIG:-${ROOT}/examples/quickstart}"
ADMIN="${ADMIN:-127.0.0.1:9901}"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "${pid}" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

for backend in hello-1:9001 hello-2:9002 api:9003; do
  "${ROOT}/bin/example-backend" --name "${backend%%:*}" --listen "127.0.0.1:${backend##*:}" &
  pids+=($!)
done

cat >&2 <<MSG

Turnpike is starting on ${CONFIG} (listener 127.0.0.1:8080, admin ${ADMIN}). Try:
  curl -s http://127.0.0.1:8080/                                  # hello-1 and hello-2 in turn
  curl -s -H 'Host: api.example.com' http://127.0.0.1:8080/v1/toys  # the api backend, with X-Api-Version
  curl -s http://127.0.0.1:${ADMIN##*:}/readyz
Edit a file in ${CONFIG}: routing follows within a second, without a restart.

MSG
"${ROOT}/bin/turnpike" standalone --config "${CONFIG}" --admin-address "${ADMIN}" "$@" &
pids+=($!)
wait "${pids[-1]}"
