package upstream

import (
	"bufio"
	"bytes"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestForwardStripsHopByHopAndSetsForwardedHeaders(t *testing.T) {
	t.Parallel()
	backend := startRawBackend(t, "HTTP/1.1 200 OK\r\n"+
		"Content-Length: 2\r\n"+
		"Connection: X-Resp-Hop\r\n"+
		"X-Resp-Hop: 1\r\n"+
		"Keep-Alive: timeout=5\r\n"+
		"Proxy-Connection: keep-alive\r\n"+
		"Upgrade: h2c\r\n"+
		"X-Kept: response\r\n"+
		"\r\n"+
		"ok")
	ctx := newCtx(t, "GET /p/q?x=1 HTTP/1.1\r\n"+
		"Host: Api.Example.com:8080\r\n"+
		"Connection: keep-alive, X-Req-Hop\r\n"+
		"X-Req-Hop: 1\r\n"+
		"Keep-Alive: 300\r\n"+
		"Proxy-Connection: keep-alive\r\n"+
		"TE: trailers\r\n"+
		"Upgrade: websocket\r\n"+
		"X-Forwarded-For: 203.0.113.9\r\n"+
		"X-Forwarded-Proto: https\r\n"+
		"X-Forwarded-Host: spoofed.test\r\n"+
		"X-Kept: request\r\n"+
		"\r\n")

	ep := endpointFor(t, NewPools(PoolOptions{}), backend.addr)
	if outcome, err := ep.Forward(ctx); outcome != OK {
		t.Fatalf("Forward = %v, %v", outcome, err)
	}

	got := backend.lastRequest(t)
	if got.Host != "Api.Example.com:8080" {
		t.Errorf("Host = %q, want the client's Host unchanged", got.Host)
	}
	if got.RequestURI != "/p/q?x=1" {
		t.Errorf("request URI = %q, want /p/q?x=1", got.RequestURI)
	}
	for _, name := range []string{"Connection", "X-Req-Hop", "Keep-Alive", "Proxy-Connection", "Te", "Upgrade", "User-Agent"} {
		if v, ok := got.Header[name]; ok {
			t.Errorf("backend received %s: %q", name, v)
		}
	}
	wantHeaders := map[string]string{
		"X-Kept":            "request",
		"X-Forwarded-For":   "203.0.113.9, 127.0.0.1",
		"X-Forwarded-Proto": "http",
		"X-Forwarded-Host":  "Api.Example.com:8080",
	}
	gotHeaders := map[string]string{}
	for name := range wantHeaders {
		gotHeaders[name] = strings.Join(got.Header.Values(name), "|")
	}
	if diff := cmp.Diff(wantHeaders, gotHeaders); diff != "" {
		t.Errorf("backend request headers (-want +got):\n%s", diff)
	}

	resp := &ctx.Response
	for _, name := range []string{"X-Resp-Hop", "Keep-Alive", "Proxy-Connection", "Upgrade", "Connection"} {
		if v := resp.Header.Peek(name); v != nil {
			t.Errorf("response keeps %s: %q", name, v)
		}
	}
	if resp.ConnectionClose() {
		t.Error("response asks to close the client connection")
	}
	if v := string(resp.Header.Peek("X-Kept")); v != "response" {
		t.Errorf("X-Kept = %q, want response", v)
	}
	if string(resp.Body()) != "ok" {
		t.Errorf("body = %q, want ok", resp.Body())
	}
}

func TestForwardWithoutClientAddressAddsNoForwardedFor(t *testing.T) {
	t.Parallel()
	backend := startRawBackend(t, "HTTP/1.1 204 No Content\r\n\r\n")
	ctx := newCtxFrom(t, "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n", pipeAddr{}) // an in-memory connection has no IP
	if outcome, err := endpointFor(t, NewPools(PoolOptions{}), backend.addr).Forward(ctx); outcome != OK {
		t.Fatalf("Forward = %v, %v", outcome, err)
	}
	if v, ok := backend.lastRequest(t).Header["X-Forwarded-For"]; ok {
		t.Errorf("X-Forwarded-For = %q, want none", v)
	}
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

func TestForwardBackendConnectionCloseDoesNotCloseClient(t *testing.T) {
	t.Parallel()
	backend := startRawBackend(t, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
	ctx := newCtx(t, "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n")
	if outcome, err := endpointFor(t, NewPools(PoolOptions{}), backend.addr).Forward(ctx); outcome != OK {
		t.Fatalf("Forward = %v, %v", outcome, err)
	}
	if ctx.Response.ConnectionClose() {
		t.Error("the backend's Connection: close leaked to the client response")
	}
}

func TestForwardChunkedResponseWithTrailer(t *testing.T) {
	t.Parallel()
	backend := startRawBackend(t, "HTTP/1.1 200 OK\r\n"+
		"Transfer-Encoding: chunked\r\n"+
		"Trailer: X-Checksum\r\n"+
		"\r\n"+
		"2\r\nok\r\n3\r\n!!!\r\n0\r\nX-Checksum: abc\r\n\r\n")
	ctx := newCtx(t, "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n")
	if outcome, err := endpointFor(t, NewPools(PoolOptions{}), backend.addr).Forward(ctx); outcome != OK {
		t.Fatalf("Forward = %v, %v", outcome, err)
	}
	var out bytes.Buffer
	w := bufio.NewWriter(&out)
	if err := ctx.Response.Write(w); err != nil {
		t.Fatalf("writing response: %v", err)
	}
	_ = w.Flush()
	wire := out.String()
	for _, bad := range []string{"Transfer-Encoding", "Trailer", "X-Checksum"} {
		if strings.Contains(wire, bad) {
			t.Errorf("response to the client contains %s:\n%s", bad, wire)
		}
	}
	if !strings.Contains(wire, "Content-Length: 5\r\n") || !strings.HasSuffix(wire, "\r\n\r\nok!!!") {
		t.Errorf("response is not the de-chunked body with its length:\n%s", wire)
	}
}

// holdBackend accepts connections and reads requests but answers only when
// released; every received request is signalled on received.
func holdBackend(t *testing.T) (addr string, received <-chan struct{}, release func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	got := make(chan struct{}, 16)
	released := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				buf := make([]byte, 4096)
				if _, err := c.Read(buf); err != nil {
					return
				}
				got <- struct{}{}
				<-released
				_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
			}()
		}
	}()
	release = func() { once.Do(func() { close(released) }) }
	t.Cleanup(func() {
		release()
		_ = ln.Close()
		wg.Wait()
	})
	return ln.Addr().String(), got, release
}

func TestForwardFailures(t *testing.T) {
	t.Parallel()

	t.Run("connection refused is 502", func(t *testing.T) {
		t.Parallel()
		ctx := newCtx(t, "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n")
		outcome, err := endpointFor(t, NewPools(PoolOptions{}), freeAddr(t)).Forward(ctx)
		if outcome != Unreachable {
			t.Errorf("outcome = %v (%v), want Unreachable", outcome, err)
		}
		if len(ctx.Response.Body()) != 0 || ctx.Response.StatusCode() != 200 {
			t.Errorf("response not reset after failure: %d %q", ctx.Response.StatusCode(), ctx.Response.Body())
		}
	})

	t.Run("connection closed without an answer is 502", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("listen: %v", err)
		}
		t.Cleanup(func() { _ = ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				_ = c.Close()
			}
		}()
		ctx := newCtx(t, "POST / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 1\r\n\r\nx")
		if outcome, err := endpointFor(t, NewPools(PoolOptions{}), ln.Addr().String()).Forward(ctx); outcome != Unreachable {
			t.Errorf("outcome = %v (%v), want Unreachable", outcome, err)
		}
	})

	t.Run("slow backend is 504", func(t *testing.T) {
		t.Parallel()
		addr, _, _ := holdBackend(t)
		pools := NewPools(PoolOptions{ReadTimeout: 50 * time.Millisecond})
		ctx := newCtx(t, "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n")
		if outcome, err := endpointFor(t, pools, addr).Forward(ctx); outcome != Timeout {
			t.Errorf("outcome = %v (%v), want Timeout", outcome, err)
		}
	})

	t.Run("no free connection is 503", func(t *testing.T) {
		t.Parallel()
		addr, received, release := holdBackend(t)
		pools := NewPools(PoolOptions{MaxConnsPerEndpoint: 1, MaxConnWaitTimeout: time.Millisecond})
		ep := endpointFor(t, pools, addr)

		first := make(chan Outcome, 1)
		go func() {
			outcome, _ := ep.Forward(newCtx(t, "GET /first HTTP/1.1\r\nHost: a.test\r\n\r\n"))
			first <- outcome
		}()
		<-received // the only connection is now busy
		if outcome, err := ep.Forward(newCtx(t, "GET /second HTTP/1.1\r\nHost: a.test\r\n\r\n")); outcome != Busy {
			t.Errorf("second request outcome = %v (%v), want Busy", outcome, err)
		}
		release()
		if outcome := <-first; outcome != OK {
			t.Errorf("first request outcome = %v, want OK", outcome)
		}
	})
}

func TestForwardChunkedRequestWithTrailer(t *testing.T) {
	t.Parallel()
	backend := startRawBackend(t, "HTTP/1.1 204 No Content\r\n\r\n")
	ctx := newCtx(t, "POST /upload HTTP/1.1\r\n"+
		"Host: a.test\r\n"+
		"Transfer-Encoding: chunked\r\n"+
		"Trailer: X-Signature\r\n"+
		"\r\n"+
		"3\r\nabc\r\n0\r\nX-Signature: s\r\n\r\n")
	if outcome, err := endpointFor(t, NewPools(PoolOptions{}), backend.addr).Forward(ctx); outcome != OK {
		t.Fatalf("Forward = %v, %v", outcome, err)
	}
	got := backend.lastRequest(t)
	if got.ContentLength != 3 || len(got.TransferEncoding) != 0 {
		t.Errorf("backend got Content-Length %d, Transfer-Encoding %q; want a plain 3-byte body", got.ContentLength, got.TransferEncoding)
	}
	for _, name := range []string{"Trailer", "X-Signature"} {
		if v, ok := got.Header[name]; ok {
			t.Errorf("backend received %s: %q", name, v)
		}
	}
}
