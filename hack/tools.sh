#!/usr/bin/env bash
# Builds the Go tools the Makefile uses from the Go module proxy, pinned, into bin/.
# Usage: hack/tools.sh controller-gen|helm   (prints the binary's path)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONTROLLER_TOOLS_VERSION="${CONTROLLER_TOOLS_VERSION:-v0.23.0}"
# helm for the chart tests (test/helm pins the same version); v3.22.0 builds with Go 1.26.
HELM_VERSION="${HELM_VERSION:-v3.22.0}"

install_tool() { # name module version [go install flags...]
  local name=$1 module=$2 version=$3 out="${ROOT}/bin/tools/${1}-${3}"
  shift 3
  if [[ ! -x "${out}" ]]; then
    echo "tools: building ${name} ${version}" >&2
    mkdir -p "${ROOT}/bin/tools/.gobin-${name}"
    GOBIN="${ROOT}/bin/tools/.gobin-${name}" GOFLAGS= go install "$@" "${module}@${version}" \
      || { echo "tools: building ${name} ${version} failed" >&2; exit 1; }
    mv "${ROOT}/bin/tools/.gobin-${name}/$(basename "${module}")" "${out}"
  fi
  echo "${out}"
}

case "${1:-}" in
  controller-gen) install_tool controller-gen sigs.k8s.io/controller-tools/cmd/controller-gen "${CONTROLLER_TOOLS_VERSION}" ;;
  # The ldflags are those of helm's own Makefile: without them `helm version` has no
  # patch number and `helm template` assumes Kubernetes v1.20 (helm v3.22 is built on
  # the v1.37 client libraries).
  helm) install_tool helm helm.sh/helm/v3/cmd/helm "${HELM_VERSION}" -ldflags "-s -w \
      -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION} \
      -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=37 \
      -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=37" ;;
  *) echo "usage: $0 controller-gen|helm" >&2; exit 2 ;;
esac
