// Package server is Turnpike's embedded HTTP/1.1 data plane: it binds the sockets a
// snapshot asks for and serves every request on them with fasthttp.
//
// It is the end of the pipeline that cmd wires:
//
//	compile loop -> DataPlane.Publish(*snapshot.Snapshot) -> atomic swap
//	             -> per request: route match -> rate limits -> filters -> pick backend -> forward
//
// Publish builds everything a snapshot needs up front (router tables, rate
// limits, filter chains, forwarding targets), opens the sockets it newly names,
// keeps open the ones whose Key is unchanged (so a swap never drops an accepted
// connection or an in-flight request), stops accepting on the ones it no longer
// names while their in-flight requests finish, and makes the new state live with
// one atomic store. Rate-limit counters live outside the state (package
// ratelimit), so a swap keeps those of every limit it did not change.
// Each request reads that pointer once, so it is served entirely by the snapshot
// it started with.
//
// DataPlane satisfies snapshot.Publisher, and controller-runtime's Runnable by
// shape (Start, NeedLeaderElection) without importing it: the data plane must not
// depend on Kubernetes libraries. Every response the data plane writes itself is
// an RFC 9457 problem document (package problem).
package server
