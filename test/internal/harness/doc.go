// Package harness holds what the load harnesses under test/ (test/bench behind
// `make bench`, test/load behind `make loadtest`) share: child processes that are
// always stopped, free loopback ports, the CPU time and memory of a process read from
// /proc, building cmd/turnpike from the current source, and a fixed-body fasthttp
// backend.
//
// It sits outside the pipeline: the harnesses drive the real binary end to end, as a
// user would, and never import the packages they measure. Everything here listens on
// and connects to 127.0.0.1 only.
package harness
