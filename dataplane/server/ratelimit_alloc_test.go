//go:build !race

// The race detector makes sync.Pool drop objects at random, so allocation counts
// are only meaningful without it.

package server

import (
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// TestRateLimitedServeRequestDoesNotAllocate runs the whole handler with a rate
// limit in local mode, with one shared counter and with a counter per API key,
// headers included. Not parallel: allocation counts are process-wide.
func TestRateLimitedServeRequestDoesNotAllocate(t *testing.T) {
	for _, counters := range [][]string{nil, {"request.headers['x-api-key']"}, {"source.address"}} {
		backend := startBackendWith(t, "alloc", func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") })
		route := routeTo("r", prefixPath("/api"), ref("ns/alloc:80", 1, backend))
		route.RateLimits = []*snapshot.RateLimit{rateLimit(t, "l", "uid/l", 1_000_000_000, time.Hour, counters...)}
		dp := inMemoryDataPlane(t, Options{}, route)
		serve, ctx := rawServer(t, dp, "GET /api/items?id=7 HTTP/1.1\r\nHost: a.test\r\nX-Api-Key: k-123\r\n\r\n")
		serve() // warm the pools, the counter and the upstream connection
		if len(ctx.Response.Header.Peek("RateLimit")) == 0 {
			t.Fatalf("counters %q: no RateLimit header", counters)
		}
		if allocs := testing.AllocsPerRun(200, serve); allocs != 0 {
			t.Errorf("counters %q: a rate-limited request allocates %.1f times, want 0", counters, allocs)
		}
	}
}
