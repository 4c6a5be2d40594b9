#!/usr/bin/env bash
# Builds the control-plane binaries that envtest (and the local conformance cluster) need
# from the Go module proxy, because no release bucket is reachable from our machines:
#   kube-apiserver, kube-controller-manager, kubectl  from k8s.io/kubernetes
#   etcd                                               from go.etcd.io/etcd/server/v3
# Results are cached in bin/k8s/<version>/ with a stamp; a second run with the same
# versions does nothing.
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-v1.37.2}"
ETCD_VERSION="${ETCD_VERSION:-v3.7.3}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${ROOT}/bin/k8s/${KUBE_VERSION}"
WORK="${ROOT}/.cache/kube-build"
STAMP="${OUT}/.stamp"
WANT="kube=${KUBE_VERSION} etcd=${ETCD_VERSION}"

if [[ -f "${STAMP}" && "$(cat "${STAMP}")" == "${WANT}" ]] \
   && [[ -x "${OUT}/kube-apiserver" && -x "${OUT}/kube-controller-manager" && -x "${OUT}/kubectl" && -x "${OUT}/etcd" ]]; then
  echo "${OUT}"
  exit 0
fi

fail() { echo "build-kube-binaries: $*" >&2; exit 1; }
command -v go >/dev/null || fail "go is not on PATH"

mkdir -p "${OUT}" "${WORK}/kube" "${WORK}/etcd"
staging_version="v0${KUBE_VERSION#v1}" # v1.37.2 -> v0.37.2

# --- kubernetes wrapper module -------------------------------------------------
(
  cd "${WORK}/kube"
  modfile="$(go mod download -json "k8s.io/kubernetes@${KUBE_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')"
  [[ -f "${modfile}" ]] || fail "could not download k8s.io/kubernetes@${KUBE_VERSION}"
  {
    echo "module turnpike.local/kubebuild"
    echo
    echo "go 1.26"
    echo
    echo "require k8s.io/kubernetes ${KUBE_VERSION}"
    echo
    # Every staging module is listed at v0.0.0 in kubernetes' own go.mod (it replaces them
    # with ./staging paths that a module download does not have): point them at releases.
    grep -E '^\s+k8s\.io/[a-z0-9-]+ v0\.0\.0$' "${modfile}" | awk -v v="${staging_version}" '{print "replace " $1 " => " $1 " " v}'
  } > go.mod
  printf 'package kubebuild\n\nimport (\n\t_ "k8s.io/kubernetes/cmd/kube-apiserver/app"\n\t_ "k8s.io/kubernetes/cmd/kube-controller-manager/app"\n\t_ "k8s.io/kubectl/pkg/cmd"\n)\n' > tools.go
  GOFLAGS=-mod=mod go mod tidy >/dev/null 2>&1 || GOFLAGS=-mod=mod go mod tidy || fail "go mod tidy failed for the kubernetes wrapper"
  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X ${pkg}.gitVersion=${KUBE_VERSION} -X ${pkg}.gitMajor=1 -X ${pkg}.gitMinor=$(echo "${KUBE_VERSION}" | cut -d. -f2)"
    ldflags+=" -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=1970-01-01T00:00:00Z"
  done
  for cmd in kube-apiserver kube-controller-manager kubectl; do
    echo "build-kube-binaries: building ${cmd} ${KUBE_VERSION} (several minutes on 2 cores)" >&2
    GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags "${ldflags}" -o "${OUT}/${cmd}" "k8s.io/kubernetes/cmd/${cmd}" \
      || fail "building ${cmd} failed"
  done
)

# --- etcd wrapper module -------------------------------------------------------
(
  cd "${WORK}/etcd"
  printf 'module turnpike.local/etcdbuild\n\ngo 1.26\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "${ETCD_VERSION}" > go.mod
  printf 'package etcdbuild\n\nimport _ "go.etcd.io/etcd/server/v3/etcdmain"\n' > tools.go
  GOFLAGS=-mod=mod go mod tidy >/dev/null 2>&1 || GOFLAGS=-mod=mod go mod tidy || fail "go mod tidy failed for the etcd wrapper"
  echo "build-kube-binaries: building etcd ${ETCD_VERSION}" >&2
  GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "${OUT}/etcd" go.etcd.io/etcd/server/v3 \
    || fail "building etcd failed"
)

echo "${WANT}" > "${STAMP}"
echo "${OUT}"
