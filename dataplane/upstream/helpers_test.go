package upstream

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// newCtx parses a raw HTTP/1.1 request the way the server would and wraps it in a
// RequestCtx whose client is 127.0.0.1.
func newCtx(t *testing.T, raw string) *fasthttp.RequestCtx {
	t.Helper()
	return newCtxFrom(t, raw, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000})
}

// newCtxFrom is newCtx with the client's address.
func newCtxFrom(t *testing.T, raw string, client net.Addr) *fasthttp.RequestCtx {
	t.Helper()
	var req fasthttp.Request
	if err := req.Read(bufio.NewReader(strings.NewReader(raw))); err != nil {
		t.Fatalf("parsing request: %v", err)
	}
	var ctx fasthttp.RequestCtx
	ctx.Init(&req, client, nil)
	return &ctx
}

// rawBackend is an HTTP/1.1 backend on 127.0.0.1 that records each request it
// reads and answers every one with the same raw response bytes, keeping the
// connection open. It gives full control over response headers, which a real server
// library would normalise.
type rawBackend struct {
	addr string

	mu       sync.Mutex
	requests []*http.Request
}

func startRawBackend(t *testing.T, response string) *rawBackend {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	b := &rawBackend{addr: ln.Addr().String()}
	var wg sync.WaitGroup
	var connsMu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		_ = ln.Close()
		connsMu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		connsMu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			connsMu.Lock()
			conns = append(conns, c)
			connsMu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				br := bufio.NewReader(c)
				for {
					r, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					_, _ = io.Copy(io.Discard, r.Body)
					b.mu.Lock()
					b.requests = append(b.requests, r)
					b.mu.Unlock()
					if _, err := io.WriteString(c, response); err != nil {
						return
					}
				}
			}()
		}
	}()
	return b
}

func (b *rawBackend) lastRequest(t *testing.T) *http.Request {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.requests) == 0 {
		t.Fatal("the backend received no request")
	}
	return b.requests[len(b.requests)-1]
}

// freeAddr returns a loopback address on which nothing listens (it was bound and
// released), so that dialing it is refused.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// endpointFor returns the Endpoint that Pools creates for addr.
func endpointFor(t *testing.T, pools *Pools, addr string) *Endpoint {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("split %q: %v", addr, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		t.Fatalf("port %q: %v", port, err)
	}
	route := &snapshot.Route{ID: "r", Backends: []*snapshot.Backend{{
		Name: "ns/svc:80", Weight: 1, Endpoints: []snapshot.Endpoint{{IP: host, Port: int32(p)}},
	}}}
	ep, _, outcome := pools.Targets([]*snapshot.Route{route}).For(route).Pick()
	if outcome != OK {
		t.Fatalf("Pick: %v", outcome)
	}
	return ep
}
