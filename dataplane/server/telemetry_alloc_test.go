//go:build !race

// The race detector makes sync.Pool drop objects at random, so allocation counts
// are only meaningful without it.

package server

import (
	"io"
	"runtime"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/turnpike-gateway/turnpike/dataplane/telemetry"
)

// allocServe serves one proxied request (metrics on, as by default) on a reused
// RequestCtx, like TestServeRequestDoesNotAllocate, with the given access log.
func allocServe(t *testing.T, accessLog telemetry.AccessLogOptions) (*DataPlane, func()) {
	t.Helper()
	backend := startBackendWith(t, "alloc", func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") })
	route := ruleRoute("store", 0, 0, prefixPath("/api"), ref("shop/alloc:80", 1, backend))
	dp := inMemoryDataPlane(t, Options{AccessLog: accessLog}, route)
	serve, _ := rawServer(t, dp, "GET /api/items?id=7 HTTP/1.1\r\nHost: a.test\r\nUser-Agent: alloc/1.0\r\n\r\n")
	return dp, serve
}

// TestServeRequestSampledOutDoesNotAllocate: with the access log on, a request
// the sampling leaves out costs no allocation (nor does counting it). Not
// parallel: allocation counts are process-wide.
func TestServeRequestSampledOutDoesNotAllocate(t *testing.T) {
	dp, serve := allocServe(t, telemetry.AccessLogOptions{Writer: io.Discard, SampleRate: 0.5, Random: func() float64 { return 0.9 }})
	serve() // warm the pools, the counters' cells and the upstream connection
	if allocs := testing.AllocsPerRun(200, serve); allocs != 0 {
		t.Errorf("a proxied request sampled out of the access log allocates %.1f times, want 0", allocs)
	}
	if got := dp.AccessLogStats(); got != (telemetry.AccessLogStats{}) {
		t.Errorf("lines were logged: %+v", got)
	}
}

// TestServeRequestLoggedDoesNotAllocate: a request that is logged renders its
// line into a pooled buffer that the writer goroutine gives back. AllocsPerRun
// runs on one processor, where that goroutine only runs when the test yields,
// so each request waits for its line to be written, as with a writer that keeps
// up. While the writer is behind, each queued line costs two allocations (a
// line and its buffer), until the queue is full and lines are dropped.
func TestServeRequestLoggedDoesNotAllocate(t *testing.T) {
	// A queue of two wakes the writer at every line rather than on its tick,
	// so that the wait stays short.
	dp, serve := allocServe(t, telemetry.AccessLogOptions{Writer: io.Discard, QueueLength: 2})
	var served uint64
	serveAndWrite := func() {
		serve()
		served++
		for dp.AccessLogStats().Written < served {
			runtime.Gosched()
		}
	}
	serveAndWrite()
	if allocs := testing.AllocsPerRun(200, serveAndWrite); allocs != 0 {
		t.Errorf("a proxied, logged request allocates %.1f times, want 0", allocs)
	}
}
