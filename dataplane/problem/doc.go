// Package problem holds every response body that Turnpike writes itself instead of
// relaying a backend's answer: no matching route, an invalid backend, no ready
// endpoints, an unreachable or slow upstream, and requests over the size limits.
//
// It sits at the very end of the data-plane pipeline:
//
//	snapshot -> router -> filters -> upstream -> (backend's response | problem)
//
// Each case is an RFC 9457 "application/problem+json" document with a stable type
// URI, a title, the status code and a short detail sentence. Bodies are rendered
// once at start-up so that writing one costs no allocation, and they never carry
// internal detail: no addresses, backend names, error strings or stack traces (those
// go to the log, at debug level).
//
// The package imports only the standard library so that any transport (the
// fasthttp server today, an HTTP/2 front end later) can write the same bodies.
package problem
