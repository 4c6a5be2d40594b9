// Package problem holds every response body that Turnpike writes itself instead of
// relaying a backend's answer: no matching route, an invalid backend, no ready
// endpoints, an unreachable or slow upstream, requests over the size limits or a
// rate limit, and the refusals of AuthPolicy (401, 403, and 503 when credentials
// cannot be verified).
//
// It sits at the very end of the data-plane pipeline:
//
//	snapshot -> router -> filters -> upstream -> (backend's response | problem)
//
// Each case is an RFC 9457 "application/problem+json" document with a stable type
// URI, a title, the status code and a short detail sentence. Bodies are rendered
// once at start-up so that writing one costs no allocation, and they never carry
// internal detail: no addresses, backend names, error strings or stack traces (those
// go to the log, at debug level). A few answers carry a detail that depends on the
// request (when a token expired, which scope is missing): AppendBody renders the
// same document with that detail into a caller's buffer.
//
// The package imports only the standard library so that any transport (the
// fasthttp server today, an HTTP/2 front end later) can write the same bodies.
package problem
