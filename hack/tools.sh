#!/usr/bin/env bash
# Builds the Go tools the Makefile uses from the Go module proxy, pinned, into bin/.
# Usage: hack/tools.sh controller-gen|helm   (prints the binary's path)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONTROLLER_TOOLS_VERSION="${CONTROLLER_TOOLS_VERSION:-v0.23.0}"

install_tool() { # name module version
  local name=$1 module=$2 version=$3 out="${ROOT}/bin/tools/${1}-${3}"
  if [[ ! -x "${out}" ]]; then
    echo "tools: building ${name} ${version}" >&2
    mkdir -p "${ROOT}/bin/tools/.gobin-${name}"
    GOBIN="${ROOT}/bin/tools/.gobin-${name}" GOFLAGS= go install "${module}@${version}" \
      || { echo "tools: building ${name} ${version} failed" >&2; exit 1; }
    mv "${ROOT}/bin/tools/.gobin-${name}/$(basename "${module}")" "${out}"
  fi
  echo "${out}"
}

case "${1:-}" in
  controller-gen) install_tool controller-gen sigs.k8s.io/controller-tools/cmd/controller-gen "${CONTROLLER_TOOLS_VERSION}" ;;
  *) echo "usage: $0 controller-gen" >&2; exit 2 ;;
esac
