package server

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// benchSetup serves one route to a loopback backend that answers "ok", on an
// in-memory socket, and returns a client for that socket.
func benchSetup(b *testing.B) (*DataPlane, *fasthttp.HostClient) {
	b.Helper()
	backend := startBackendWith(b, "bench", func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") })
	ln := fasthttputil.NewInmemoryListener()
	dp, _ := startDataPlane(b, nil, Options{Listen: func(string, string) (net.Listener, error) { return ln, nil }})
	mustPublish(b, dp, snap(1, listener(1, routeTo("r", prefixPath("/api"), ref("ns/bench:80", 1, backend)))))
	client := &fasthttp.HostClient{
		Addr: "turnpike",
		Dial: func(string) (net.Conn, error) { return ln.Dial() },
	}
	return dp, client
}

// BenchmarkServeHTTP measures a whole proxied request: client -> in-memory socket
// -> data plane -> loopback backend and back. Allocations count the client and
// the backend too, since they share the process.
func BenchmarkServeHTTP(b *testing.B) {
	_, client := benchSetup(b)
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI("http://a.test/api/items?id=7")
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	b.ReportAllocs()
	for b.Loop() {
		if err := client.Do(req, resp); err != nil || resp.StatusCode() != 200 {
			b.Fatalf("request: %v, status %d", err, resp.StatusCode())
		}
	}
}

// BenchmarkServeRequest runs the data plane's handler alone on a reused
// RequestCtx, so that its allocations are the data plane's own (the backend's
// still count, the client's do not).
func BenchmarkServeRequest(b *testing.B) {
	dp, _ := benchSetup(b)
	raw := "GET /api/items?id=7 HTTP/1.1\r\nHost: a.test\r\nX-Forwarded-For: 203.0.113.9\r\n\r\n"
	var ctx fasthttp.RequestCtx
	ctx.Init(&fasthttp.Request{}, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}, nil)
	src := strings.NewReader(raw)
	br := bufio.NewReader(src)
	b.ReportAllocs()
	for b.Loop() {
		ctx.Request.Reset()
		ctx.Response.Reset()
		src.Reset(raw)
		br.Reset(src)
		if err := ctx.Request.Read(br); err != nil {
			b.Fatalf("parsing: %v", err)
		}
		dp.serveRequest(&ctx, "127.0.0.1:1")
		if ctx.Response.StatusCode() != 200 {
			b.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
		}
	}
}

// BenchmarkServeRequestRateLimited is BenchmarkServeRequest with a limit per API
// key (local counters), to show what a limit adds to a proxied request.
func BenchmarkServeRequestRateLimited(b *testing.B) {
	backend := startBackendWith(b, "bench", func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") })
	route := routeTo("r", prefixPath("/api"), ref("ns/bench:80", 1, backend))
	route.RateLimits = []*snapshot.RateLimit{rateLimit(b, "l", "uid/l", 1_000_000_000, time.Hour, "request.headers['x-api-key']")}
	ln := fasthttputil.NewInmemoryListener()
	dp, _ := startDataPlane(b, nil, Options{Listen: func(string, string) (net.Listener, error) { return ln, nil }})
	mustPublish(b, dp, snap(1, listener(1, route)))
	raw := "GET /api/items?id=7 HTTP/1.1\r\nHost: a.test\r\nX-Api-Key: k-123\r\n\r\n"
	var ctx fasthttp.RequestCtx
	ctx.Init(&fasthttp.Request{}, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}, nil)
	src := strings.NewReader(raw)
	br := bufio.NewReader(src)
	b.ReportAllocs()
	for b.Loop() {
		ctx.Request.Reset()
		ctx.Response.Reset()
		src.Reset(raw)
		br.Reset(src)
		if err := ctx.Request.Read(br); err != nil {
			b.Fatalf("parsing: %v", err)
		}
		dp.serveRequest(&ctx, "127.0.0.1:1")
		if ctx.Response.StatusCode() != 200 {
			b.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
		}
	}
}
