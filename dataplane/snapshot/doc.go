// Package snapshot holds the immutable intermediate representation that the compiler
// (controllers/compiler) produces and the data plane (dataplane/...) serves.
//
// It sits in the middle of the pipeline:
//
//	objects -> compiler -> *Snapshot -> atomic swap -> data plane
//
// A Snapshot is built whole by the compiler and never mutated after it has been
// handed to the data plane; a new configuration is a new Snapshot. Everything the data
// plane needs to serve a request is in here, already resolved: hostnames intersected,
// routes in the Gateway API's precedence order, regular expressions compiled, backends
// resolved to endpoint addresses, policy expressions compiled. The package imports
// only the standard library and cel-go (whose compiled programs it holds), so that
// both sides of the pipeline can depend on it without dragging Kubernetes into the
// data plane or fasthttp into the compiler.
package snapshot
