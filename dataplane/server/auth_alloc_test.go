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

// TestAuthenticatedServeRequestDoesNotAllocate runs the whole handler for a
// route with an API key and a rate limit per identity: authenticated, counted,
// credentials stripped and forwarded. Not parallel: allocation counts are
// process-wide.
func TestAuthenticatedServeRequestDoesNotAllocate(t *testing.T) {
	backend := startBackendWith(t, "alloc", func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") })
	route := routeTo("r", prefixPath("/api"), ref("ns/alloc:80", 1, backend))
	route.Auth = apiKeyAuth(map[string]string{"k-123": "alice"})
	route.RateLimits = []*snapshot.RateLimit{rateLimit(t, "l", "uid/l", 1_000_000_000, time.Hour, "auth.identity.metadata.name")}
	dp := inMemoryDataPlane(t, Options{}, route)
	serve, _ := rawServer(t, dp, "GET /api/items?id=7 HTTP/1.1\r\nHost: a.test\r\nAuthorization: APIKEY k-123\r\n\r\n")
	serve() // warm the pools, the counter and the upstream connection
	if allocs := testing.AllocsPerRun(200, serve); allocs > 1 {
		t.Errorf("an authenticated, rate-limited request allocates %.1f times, want at most 1", allocs)
	}
}
