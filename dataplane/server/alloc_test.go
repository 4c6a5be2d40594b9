//go:build !race

// The race detector makes sync.Pool drop objects at random, so allocation counts
// are only meaningful without it.

package server

import (
	"bufio"
	"net"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"
)

// TestServeRequestDoesNotAllocate runs the whole handler (snapshot load, route
// match, header filter, backend choice, forwarding to a real loopback backend,
// hop-by-hop stripping, X-Forwarded-*, request metrics) on a reused RequestCtx.
// Not parallel: allocation counts are process-wide.
func TestServeRequestDoesNotAllocate(t *testing.T) {
	backend := startBackendWith(t, "alloc", func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") })
	route := routeTo("r", prefixPath("/api"), ref("ns/alloc:80", 1, backend))
	route.Filters = headerFilter("X-Set", "v")
	ln := fasthttputil.NewInmemoryListener()
	dp, _ := startDataPlane(t, nil, Options{Listen: func(string, string) (net.Listener, error) { return ln, nil }})
	mustPublish(t, dp, snap(1, listener(1, route)))

	raw := "GET /api/items?id=7 HTTP/1.1\r\nHost: a.test\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nX-Forwarded-For: 203.0.113.9\r\n\r\n"
	var ctx fasthttp.RequestCtx
	ctx.Init(&fasthttp.Request{}, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}, nil)
	src := strings.NewReader(raw)
	br := bufio.NewReader(src)
	serve := func() {
		ctx.Request.Reset()
		ctx.Response.Reset()
		src.Reset(raw)
		br.Reset(src)
		if err := ctx.Request.Read(br); err != nil {
			t.Fatalf("parsing: %v", err)
		}
		dp.serveRequest(&ctx, "127.0.0.1:1")
		if ctx.Response.StatusCode() != 200 {
			t.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
		}
	}
	serve() // warm the pools and the upstream connection
	if allocs := testing.AllocsPerRun(200, serve); allocs != 0 {
		t.Errorf("a proxied request allocates %.1f times, want 0", allocs)
	}
}
