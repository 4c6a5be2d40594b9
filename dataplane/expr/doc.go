// Package expr evaluates the CEL expressions of policies (a RateLimitPolicy's
// `when` predicates and counters, later AuthPolicy's) against one request.
//
// It sits between the snapshot and the policy engines of the data plane:
//
//	snapshot.Expression (compiled once by the compiler)
//	  -> expr.Predicate / expr.Value (built once per snapshot by the data plane)
//	  -> Eval against an Activation (per request, pooled by the caller)
//
// The Activation exposes the variables of snapshot.NewExpressionEnv over the
// transport-neutral Request view, lazily: nothing is converted until an
// expression reads it, and then only the field it reads (request.headers['x']
// peeks one header; it never builds a map of every header). Auth identity is a
// slot the auth step fills before policies run; without it auth.identity is an
// empty map.
//
// Counter values of the shapes that almost every rate limit uses
// (request.headers['x-name'], source.address, request.method, request.path,
// request.host) are recognised when the Value is built and read straight from
// the request without running CEL and without allocating. Everything else runs
// the compiled CEL program.
//
// Errors never reach the client: a predicate that fails or does not yield a bool
// is false ("does not apply"), and a counter that fails yields an error its
// caller handles. Both are counted (see Failures).
package expr
