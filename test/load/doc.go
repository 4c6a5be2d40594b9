// Command load is the load harness behind `make loadtest`: it measures Turnpike
// against the targets and side by side with nginx, and prints every figure
// with its target.
//
// It sits outside the pipeline and drives it end to end, as a user would: it builds
// cmd/turnpike from the current source and runs the real binary. Three modes:
//
//   - proxy (the default, under five minutes): a fasthttp backend (this binary
//     re-executed as `load backend`), then for each scenario Turnpike in standalone
//     mode and nginx configured as the equivalent reverse proxy (upstream keep-alive,
//     HTTP/1.1, access log off), each pinned with taskset; wrk sends the load. The
//     scenarios run interleaved over rounds (direct, then A B per scenario, B A on the
//     next round) and the table shows medians: requests/s, p50/p99 latency, the
//     latency each proxy adds over the direct backend, CPU seconds per 1,000 requests
//     from /proc/PID/stat, and Turnpike/nginx ratios. Scenarios whose features have
//     not landed (AuthPolicy; RateLimitPolicy until its CRD exists and a limit of 0
//     is seen to refuse requests) are listed as skipped, with the reason.
//   - scale: 10,000 generated HTTPRoutes served by `turnpike standalone`: time to
//     /readyz, peak and steady resident memory (VmHWM, VmRSS), plus the compiler's
//     BenchmarkCompile10000Routes and the router's BenchmarkMatch at 10, 1,000 and
//     10,000 routes.
//   - apply: `turnpike serve` against a real kube-apiserver and etcd (envtest) with
//     1,000 HTTPRoutes in place; 100 times, the time from creating an HTTPRoute to
//     the first request it answers.
//
// CPU layout of the proxy mode on this project's 2-core machines (see cpuLayout):
// the proxy under measurement alone on CPU 0; the backend and wrk on CPU 1. Every
// scenario and both proxies share that arrangement, so the comparison is fair;
// the "proxy core busy" column says whether the proxy's core was the bottleneck.
//
// Everything listens on and sends to 127.0.0.1 only; nothing on the machine is
// touched beyond the run's temporary directory (nginx runs as a child with its own
// prefix, never as the system service). Every child process is stopped on exit, on
// error, on Ctrl-C and after -timeout, and the kernel kills them if the harness
// itself is killed.
package main
