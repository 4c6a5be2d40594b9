#!/usr/bin/env bash
# Copies the generated manifests the Helm chart renders into charts/turnpike/files, so
# that the chart never keeps its own hand-written copy of RBAC rules or CRDs:
#   config/rbac/role.yaml      -> files/rbac/role.yaml  (rules of the ClusterRole and the Role)
#   config/crd/bases/*.yaml    -> files/crds/            (Turnpike's CRDs)
#   config/crd/gateway-api/*   -> charts/gateway-api-crds/crds/ (the Gateway API standard
#                                 CRDs: a subchart's crds/, installed when gatewayAPI.installCRDs)
# `make manifests` runs it after controller-gen; the test in test/helm fails when a copy
# is stale.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CHART="${ROOT}/charts/turnpike"
FILES="${CHART}/files"

sync_dir() { # source-dir target-dir
  rm -rf "$2"
  mkdir -p "$2"
  cp "$1"/*.yaml "$2"/
  rm -f "$2/kustomization.yaml"
}

mkdir -p "${FILES}/rbac"
cp "${ROOT}/config/rbac/role.yaml" "${FILES}/rbac/role.yaml"
sync_dir "${ROOT}/config/crd/bases" "${FILES}/crds"
sync_dir "${ROOT}/config/crd/gateway-api" "${CHART}/charts/gateway-api-crds/crds"
