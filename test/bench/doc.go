// Command bench is the load harness behind `make bench`: it reports the requests/s,
// latency and CPU cost the data plane adds on the quick-start configuration, next to
// the same backend reached directly.
//
// It sits outside the pipeline and drives it end to end, as a user would: it builds
// cmd/turnpike from the current source, starts a small fasthttp backend (this same
// binary re-executed as `bench backend`), serves a copy of examples/quickstart whose
// port numbers are moved to free loopback ports through `turnpike standalone`, and
// then runs a closed-loop load generator against the backend directly and through
// Turnpike, in interleaved rounds (A B A B ...) so that drift on a shared machine hits
// both scenarios alike. It prints medians across rounds; the Go micro-benchmarks of
// the data plane (`go test -bench ./dataplane/...`) cover the per-request costs.
//
// Everything listens on 127.0.0.1 only, and every child process is stopped on exit,
// on error and on Ctrl-C. The generator, the backend and Turnpike share the machine's
// cores, so the figures compare the two scenarios on the same machine; they are not
// an absolute ceiling of the data plane.
package main
