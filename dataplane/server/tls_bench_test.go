package server

import (
	"crypto/tls"
	"net"
	"testing"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"
)

// tlsBenchSetup is benchSetup on an HTTPS socket with an ECDSA P-256 certificate,
// among a hundred other hostnames on the socket.
func tlsBenchSetup(b *testing.B) (dial func() (net.Conn, error)) {
	b.Helper()
	backend := startBackendWith(b, "bench", func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") })
	ln := fasthttputil.NewInmemoryListener()
	dp, _ := startDataPlane(b, nil, Options{Listen: func(string, string) (net.Listener, error) { return ln, nil }})
	key := ecdsaKey(b)
	l := httpsListener(1, tlsGatewayListener("www", "www.example.com", backend, newCertificate(b, key, "www.example.com")))
	for i := range 100 {
		name := "host" + itoa(int32(i)) + ".example.org"
		l.GatewayListeners = append(l.GatewayListeners, tlsGatewayListener(name, name, backend, newCertificate(b, key, name)))
	}
	mustPublish(b, dp, snap(1, l))
	config := &tls.Config{ServerName: "www.example.com", InsecureSkipVerify: true} // no session cache: every dial is a full handshake
	return func() (net.Conn, error) {
		c, err := ln.Dial()
		if err != nil {
			return nil, err
		}
		return tls.Client(c, config), nil
	}
}

// BenchmarkServeHTTPS is BenchmarkServeHTTP over one kept-alive TLS connection:
// what TLS adds to a request once the handshake is done.
func BenchmarkServeHTTPS(b *testing.B) {
	dial := tlsBenchSetup(b)
	client := &fasthttp.HostClient{Addr: "turnpike", Dial: func(string) (net.Conn, error) { return dial() }}
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI("http://www.example.com/api/items?id=7")
	b.ReportAllocs()
	for b.Loop() {
		if err := client.Do(req, resp); err != nil || resp.StatusCode() != 200 {
			b.Fatalf("request: %v, status %d", err, resp.StatusCode())
		}
	}
}

// BenchmarkTLSHandshake opens a new connection per iteration (full TLS 1.3
// handshake, no resumption: the client keeps no session cache), sends one
// request and closes: the cost of a client that does not keep connections.
func BenchmarkTLSHandshake(b *testing.B) {
	dial := tlsBenchSetup(b)
	client := &fasthttp.HostClient{Addr: "turnpike", Dial: func(string) (net.Conn, error) { return dial() }}
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI("http://www.example.com/api/items?id=7")
	req.SetConnectionClose()
	b.ReportAllocs()
	for b.Loop() {
		if err := client.Do(req, resp); err != nil || resp.StatusCode() != 200 {
			b.Fatalf("request: %v, status %d", err, resp.StatusCode())
		}
	}
}
