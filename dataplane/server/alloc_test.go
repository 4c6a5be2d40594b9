//go:build !race

// The race detector makes sync.Pool drop objects at random, so allocation counts
// are only meaningful without it.

package server

import (
	"testing"

	"github.com/valyala/fasthttp"
)

// TestServeRequestDoesNotAllocate runs the whole handler (snapshot load, route
// match, header filter, backend choice, forwarding to a real loopback backend,
// hop-by-hop stripping, X-Forwarded-*, request metrics) on a reused RequestCtx.
// Not parallel: allocation counts are process-wide.
func TestServeRequestDoesNotAllocate(t *testing.T) {
	backend := startBackendWith(t, "alloc", func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") })
	route := routeTo("r", prefixPath("/api"), ref("ns/alloc:80", 1, backend))
	route.Filters = headerFilter("X-Set", "v")
	dp := inMemoryDataPlane(t, Options{}, route)
	serve, _ := rawServer(t, dp, "GET /api/items?id=7 HTTP/1.1\r\nHost: a.test\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nX-Forwarded-For: 203.0.113.9\r\n\r\n")
	serve() // warm the pools and the upstream connection
	if allocs := testing.AllocsPerRun(200, serve); allocs != 0 {
		t.Errorf("a proxied request allocates %.1f times, want 0", allocs)
	}
}
