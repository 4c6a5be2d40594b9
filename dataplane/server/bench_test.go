package server

import (
	"net"
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
	serve, _ := rawServer(b, dp, "GET /api/items?id=7 HTTP/1.1\r\nHost: a.test\r\nX-Forwarded-For: 203.0.113.9\r\n\r\n")
	b.ReportAllocs()
	for b.Loop() {
		serve()
	}
}

// BenchmarkServeRequestPolicies is BenchmarkServeRequest with the policies a
// route may carry, to show what each adds to a proxied request: an API key, a
// JWT (RS256, from a key set on loopback; its signature is checked once and the
// verified token cached, as for a returning client), and a JWT with a rate limit
// counted per authenticated subject. Local counters; the backend's round trip
// is in every figure.
//
//	go test -run '^$' -bench ServeRequestPolicies -count 6 ./dataplane/server/
func BenchmarkServeRequestPolicies(b *testing.B) {
	jwksURL, token := jwksAndToken(b)
	for _, tc := range []struct {
		name, header string
		auth         *snapshot.Auth
		counter      string
	}{
		{name: "plain"},
		{name: "ratelimit", header: "X-Api-Key: k-123", counter: "request.headers['x-api-key']"},
		{name: "apikey", header: "Authorization: APIKEY k-123", auth: apiKeyAuth(map[string]string{"k-123": "alice"})},
		{name: "jwt", header: "Authorization: Bearer " + token, auth: jwtAuth(jwksURL)},
		{name: "jwt+ratelimit", header: "Authorization: Bearer " + token, auth: jwtAuth(jwksURL), counter: "auth.identity.sub"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			backend := startBackendWith(b, "bench", func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") })
			route := routeTo("r", prefixPath("/api"), ref("ns/bench:80", 1, backend))
			route.Auth = tc.auth
			if tc.counter != "" {
				route.RateLimits = []*snapshot.RateLimit{rateLimit(b, "l", "uid/l", 1_000_000_000, time.Hour, tc.counter)}
			}
			dp := inMemoryDataPlane(b, Options{}, route)
			raw := "GET /api/items?id=7 HTTP/1.1\r\nHost: a.test\r\n"
			if tc.header != "" {
				raw += tc.header + "\r\n"
			}
			if tc.auth != nil && tc.auth.Authentication[0].JWT != nil {
				waitForKeySet(b, dp, raw+"\r\n")
			}
			serve, _ := rawServer(b, dp, raw+"\r\n")
			b.ReportAllocs()
			for b.Loop() {
				serve()
			}
		})
	}
}
