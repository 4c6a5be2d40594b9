// Package filter compiles a route's snapshot.Filters into steps that run on each
// request after the route matched and before the request is forwarded.
//
// It sits between routing and forwarding in the data plane:
//
//	snapshot -> router -> filter chain (this package) -> upstream
//
// Build turns the snapshot's filters into a Chain once per snapshot; running the
// chain on a request allocates nothing. A filter either edits the request and lets
// the chain go on, or answers the request itself and stops it. A filter type this
// package does not know is a Build error: the server then fails the route closed
// rather than serve it without, say, an authentication step. There is one file per
// filter type.
package filter
