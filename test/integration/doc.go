// Package integration runs the in-cluster pipeline (reconcilers, compile loop, status
// writer) against a real kube-apiserver and etcd started by controller-runtime's
// envtest, and checks what reaches the data plane's Publish interface and what status
// the API server ends up holding. The binaries come from hack/build-kube-binaries.sh
// (make envtest-bins); KUBEBUILDER_ASSETS points at them.
package integration
