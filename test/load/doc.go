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
//     from /proc/PID/stat, Turnpike/nginx ratios, and each proxy's requests/s over
//     its own one-route figure. The scenarios are the issue's: one route; 1,000
//     routes with the last one matched; an API-key AuthPolicy; a JWT AuthPolicy; a
//     RateLimitPolicy that is never hit; a JWT AuthPolicy with that limit counted
//     per auth.identity.sub. Scenarios whose features have not landed (no CRD yet,
//     or a loader that rejects the policy) are listed as skipped, with the reason.
//
// Every policy scenario is first shown to be enforced, or it would measure plain
// proxying: a RateLimitPolicy with a limit of 0 must refuse with 429; an
// AuthPolicy must answer 401 without a credential and with a wrong one, and the
// backend's 200 with the run's. The credentials are made per run: an API key in a
// labelled Secret ("Authorization: APIKEY <key>"), and an RS256 key pair whose
// public half an OpenID Connect issuer inside the harness serves on 127.0.0.1
// (discovery document and key set), up before the first Turnpike starts; wrk
// sends one valid token signed with it, valid for a day. nginx checks the API key
// with an exact comparison and a 401 otherwise, and strips it before the backend
// as Turnpike does. Open-source nginx cannot validate a JWT (auth_jwt is NGINX
// Plus), so the two JWT rows show n/a for nginx, say why, and Turnpike's figure
// is held against its own one-route figure: the issue asks for at least 80% of it
// with JWT and the rate limit.
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
