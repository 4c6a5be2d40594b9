// Package conformance runs the Gateway API conformance suite
// (sigs.k8s.io/gateway-api/conformance, the version of config/crd/gateway-api)
// against Turnpike. It is the referee for Gateway API semantics and sits at the
// end of the pipeline: it drives a real cluster through the API server and sends
// real HTTP(S) to the Gateways' addresses.
//
// The suite itself is in conformance_test.go, behind the `conformance` build tag:
// it needs the local cluster that hack/conformance.sh (`make conformance`) brings
// up inside its own network namespace, with the commands of this module:
// cluster (control plane, Turnpike, teardown), kubelet (the process kubelet)
// and dnsstandin (the one non-echo-basic image of the base manifests). This
// module has its own go.mod so that the suite's dependencies stay out of
// Turnpike's.
package conformance
