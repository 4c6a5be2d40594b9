// Package router turns a *snapshot.Snapshot into lookup tables and matches
// requests against them.
//
// It sits right after the atomic snapshot swap in the data plane:
//
//	snapshot -> router.New (once per snapshot) -> Table.Match (once per request)
//	         -> filters -> upstream
//
// Selection follows the snapshot's contract: on a socket, the first
// GatewayListener whose hostname matches the request's host (never falling through
// to a later one), within it the first matching VirtualHost, and within that the
// first Route, in snapshot (Gateway API precedence) order, whose path, method,
// headers and query parameters all match.
//
// Exact paths are found with one map lookup and path prefixes with one lookup per
// distinct prefix length, so the cost of a match does not grow with the number of
// routes; regular-expression paths are the exception and are tried in order. The
// index is equivalent to a linear scan: it returns the first route in snapshot
// order whose match holds (the property test checks this on random route sets).
//
// The package never sees fasthttp types. A transport hands it a Request view, so
// the HTTP/1.1 server and a later HTTP/2 front end share the same routing. Match
// does not allocate.
package router
