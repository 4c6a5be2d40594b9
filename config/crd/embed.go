// Package crd holds the CustomResourceDefinitions Turnpike is built against, embedded
// into the binary.
//
// The Gateway API CRDs in gateway-api/ are the upstream standard-channel files,
// copied byte for byte (see README.md); Turnpike's own CRDs in bases/ are generated
// from api/ by `make manifests`. Standalone mode validates and defaults the YAML it
// reads against their OpenAPI schemas and x-kubernetes-validations rules, so a file
// that loads without a cluster would also be accepted by an API server that has
// these CRDs installed. Installers may apply the same files to a cluster.
package crd

import "embed"

// GatewayAPIVersion is the Gateway API release the files in GatewayAPI come from. It
// matches the sigs.k8s.io/gateway-api module version in go.mod, so that the Go types
// and the schemas describe the same API.
const GatewayAPIVersion = "v1.6.3"

// GatewayAPIChannel is the Gateway API release channel of the embedded CRDs.
const GatewayAPIChannel = "standard"

// GatewayAPI holds the Gateway API CRDs, one per file, under gateway-api/.
//
//go:embed gateway-api/*.yaml
var GatewayAPI embed.FS

// Turnpike holds Turnpike's own CRDs (group turnpike.dev), one per file, under bases/.
//
//go:embed bases/turnpike.dev_*.yaml
var Turnpike embed.FS
