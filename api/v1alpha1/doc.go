// Package v1alpha1 holds Turnpike's own API types, group turnpike.dev, version
// v1alpha1: the policies (RateLimitPolicy, AuthPolicy) that attach to Gateway API
// objects. The compiler reads them; controller-gen generates their CRDs into
// config/crd/bases and their deep-copy functions into zz_generated.deepcopy.go.
//
// +kubebuilder:object:generate=true
// +groupName=turnpike.dev
package v1alpha1
