#!/usr/bin/env bash
# `make conformance`: the Gateway API conformance suite (GATEWAY-HTTP profile) against
# Turnpike, in a local cluster that runs entirely inside a network namespace of its own
# (no route out: nothing it does can reach or change the host's network).
#
#   1. builds turnpike, the harness's commands (test/conformance: cluster, kubelet,
#      dnsstandin), echo-basic (from the conformance module's source) and the suite
#      into bin/conformance/, and the control plane into bin/k8s/ (once; cached);
#   2. runs test/conformance's `cluster` under `unshare --net`: it starts etcd,
#      kube-apiserver, kube-controller-manager, the process kubelet and `turnpike serve
#      --gateway-address-pool`, runs the suite, and tears everything down;
#   3. leaves every component's log in .cache/conformance/logs/ and the report in
#      test/conformance/reports/ (not for a single test).
#
# Needs root (network namespaces, veth pairs, mounts), ip, unshare and nsenter.
# Environment:
#   RUN_TEST=<ShortName>      run one test, e.g. RUN_TEST=HTTPRouteSimpleSameNamespace
#   CONFORMANCE_FLAGS="..."   more suite flags, e.g. "-debug" or "-skip-tests=A,B"
# Exits non-zero when any test that runs (every core test and every feature Turnpike
# claims in GatewayClass status.supportedFeatures) fails.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${ROOT}"
KUBE_VERSION="${KUBE_VERSION:-v1.37.2}"
BIN="${ROOT}/bin/conformance"
OUT="${ROOT}/.cache/conformance"
LOGS="${OUT}/logs"
REPORT="reports/v1.6.3-turnpike-report.yaml" # relative to test/conformance
RUN_TEST="${RUN_TEST:-}"
CONFORMANCE_FLAGS="${CONFORMANCE_FLAGS:-}"
VERSION="$(git describe --tags --always --dirty 2>/dev/null || echo dev)"

fail() { echo "conformance: $*" >&2; exit 1; }
[[ "$(id -u)" == 0 ]] || fail "needs root: the harness creates a network namespace, veth pairs and mounts (try: sudo make conformance)"
for tool in go ip unshare nsenter; do
  command -v "${tool}" >/dev/null || fail "${tool} is not on PATH"
done

started=${SECONDS}
echo "conformance: building (control plane once, then cached in bin/k8s/)"
KUBE_BIN="$(KUBE_VERSION="${KUBE_VERSION}" hack/build-kube-binaries.sh)"
mkdir -p "${BIN}"
go build -ldflags "-X main.version=${VERSION}" -o "${BIN}/turnpike" ./cmd/turnpike
(
  cd test/conformance
  go build -o "${BIN}/cluster" ./cluster
  go build -o "${BIN}/kubelet" ./kubelet
  go build -o "${BIN}/dnsstandin" ./dnsstandin
  go build -o "${BIN}/echo-basic" sigs.k8s.io/gateway-api/conformance/echo-basic
  go test -c -tags conformance -o "${BIN}/conformance.test" .
)
built=${SECONDS}
echo "conformance: built in $((built - started))s"

suite_args=(-test.v -test.timeout=80m)
if [[ -n "${RUN_TEST}" ]]; then
  suite_args+=("-run-test=${RUN_TEST}")
fi
# shellcheck disable=SC2206 # CONFORMANCE_FLAGS is a list of flags, split on purpose
suite_args+=(${CONFORMANCE_FLAGS})

rm -rf "${LOGS}"
mkdir -p "${LOGS}"
touch "${LOGS}/.started"
# The cluster checks that it runs in a namespace other than this one.
outside_netns="$(readlink /proc/self/ns/net)"
cd test/conformance # the suite writes reports/ relative to here
# --kill-child: if unshare itself dies, the cluster dies with it (and its processes
# with the cluster: each one has a parent-death signal).
TURNPIKE_VERSION="${VERSION}" unshare --net --fork --kill-child -- \
  "${BIN}/cluster" -repo "${ROOT}" -kube-bin "${KUBE_BIN}" -bin "${BIN}" -outside-netns "${outside_netns}" \
  -work "${OUT}/run" -logs "${LOGS}" -- "${BIN}/conformance.test" "${suite_args[@]}" &
runner=$!

# Interrupted or failing, the cluster is asked to tear down (it handles SIGTERM),
# and waited for, before this script exits.
stop_cluster() {
  local child
  child="$(pgrep -P "${runner}" || true)"
  if [[ -n "${child}" ]]; then
    kill -TERM "${child}" 2>/dev/null || true
  fi
  wait "${runner}" 2>/dev/null || true
}
trap 'stop_cluster; exit 130' INT TERM
trap 'stop_cluster' EXIT

status=0
wait "${runner}" || status=$?
trap - EXIT
finished=${SECONDS}

echo
echo "conformance: results (full output in ${LOGS}/suite.log, components' logs beside it)"
# One line per test that ran, written as it ended (tests of features Turnpike does
# not claim are skipped by the suite and not listed).
grep -E '^conformance result: ' "${LOGS}/suite.log" 2>/dev/null | sed -E 's/^conformance result: /  /' | sort -k1,1 -k2 || true
passed="$(grep -c '^conformance result: PASS' "${LOGS}/suite.log" 2>/dev/null || true)"
failed="$(grep -c '^conformance result: FAIL' "${LOGS}/suite.log" 2>/dev/null || true)"
echo "conformance: ${passed:-0} passed, ${failed:-0} failed"
echo "conformance: build $((built - started))s, cluster and suite $((finished - built))s, total $((finished - started))s"
if [[ "${REPORT}" -nt "${LOGS}/.started" ]]; then
  echo "conformance: report written to test/conformance/${REPORT}"
fi
exit "${status}"
