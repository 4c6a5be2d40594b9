package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// testTimeout only keeps a broken test from hanging; nothing asserts on time.
const testTimeout = 20 * time.Second

// ports maps the Keys of test snapshots ("127.0.0.1:1", "127.0.0.1:2", ...) to real
// loopback sockets on free ports, so that tests run in parallel without guessing
// free ports. It records every bind, which also shows whether a socket was reopened.
type ports struct {
	mu    sync.Mutex
	addrs map[string]string
	binds map[string]int
}

func newPorts() *ports {
	return &ports{addrs: map[string]string{}, binds: map[string]int{}}
}

func (p *ports) listen(network, key string) (net.Listener, error) {
	ln, err := net.Listen(network, "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.addrs[key] = ln.Addr().String()
	p.binds[key]++
	return ln, nil
}

// addr is the real address behind a snapshot Key.
func (p *ports) addr(t *testing.T, key string) string {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	addr, ok := p.addrs[key]
	if !ok {
		t.Fatalf("socket %s was never bound", key)
	}
	return addr
}

func (p *ports) bindCount(key string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.binds[key]
}

// startDataPlane runs a data plane whose sockets bind through p, until the test
// ends. It returns the data plane and a function that stops it and returns
// Start's error.
func startDataPlane(t testing.TB, p *ports, opts Options) (*DataPlane, func() error) {
	t.Helper()
	if opts.Listen == nil {
		opts.Listen = p.listen
	}
	// p may be nil when opts.Listen is set.
	dp := New(opts, logr.Discard())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- dp.Start(ctx) }()
	var once sync.Once
	var stopErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(testTimeout):
				stopErr = errors.New("Start did not return")
			}
		})
		return stopErr
	}
	t.Cleanup(func() { _ = stop() })
	return dp, stop
}

// backendServer is a loopback backend. It answers with "X-Backend: <name>" and a
// body listing the request line and headers it received, one per line.
type backendServer struct {
	name string
	addr string
	ip   string
	port int32
}

func startBackend(t testing.TB, name string) *backendServer {
	t.Helper()
	return startBackendWith(t, name, func(ctx *fasthttp.RequestCtx) {
		ctx.Response.Header.Set("X-Backend", name)
		ctx.SetContentType("text/plain")
		fmt.Fprintf(ctx, "%s %s\n", ctx.Method(), ctx.RequestURI())
		fmt.Fprintf(ctx, "Host: %s\n", ctx.Request.Header.Host())
		for key, value := range ctx.Request.Header.All() {
			if string(key) != "Host" {
				fmt.Fprintf(ctx, "%s: %s\n", key, value)
			}
		}
	})
}

func startBackendWith(t testing.TB, name string, handler fasthttp.RequestHandler) *backendServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	srv := &fasthttp.Server{Handler: handler, CloseOnShutdown: true}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.ShutdownWithContext(ctx)
		<-served
	})
	tcp := ln.Addr().(*net.TCPAddr)
	return &backendServer{name: name, addr: ln.Addr().String(), ip: tcp.IP.String(), port: int32(tcp.Port)}
}

// closedBackend is an address on 127.0.0.1 where nothing listens (bound, then
// released), so connecting to it is refused.
func closedBackend(t *testing.T) *backendServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	tcp := ln.Addr().(*net.TCPAddr)
	_ = ln.Close()
	return &backendServer{name: "closed", addr: tcp.String(), ip: tcp.IP.String(), port: int32(tcp.Port)}
}

// holdingBackend is a backend whose requests wait until release is called; each
// arrival is signalled on arrived.
func holdingBackend(t *testing.T, name string) (b *backendServer, arrived <-chan struct{}, release func()) {
	t.Helper()
	got := make(chan struct{}, 64)
	released := make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(released) }) }
	b = startBackendWith(t, name, func(ctx *fasthttp.RequestCtx) {
		got <- struct{}{}
		select {
		case <-released:
		case <-time.After(testTimeout):
		}
		ctx.Response.Header.Set("X-Backend", name)
		ctx.SetBodyString("slow done")
	})
	// Registered after the backend's own cleanup, so it runs first.
	t.Cleanup(release)
	return b, got, release
}

// ref is a backend reference of weight 1 to the given servers.
func ref(name string, weight int32, servers ...*backendServer) *snapshot.Backend {
	b := &snapshot.Backend{Name: name, Weight: weight}
	for _, s := range servers {
		b.Endpoints = append(b.Endpoints, snapshot.Endpoint{IP: s.ip, Port: s.port})
	}
	return b
}

func routeTo(id string, path snapshot.PathMatch, backends ...*snapshot.Backend) *snapshot.Route {
	return &snapshot.Route{ID: id, Path: path, Backends: backends}
}

// headerFilter is a RequestHeaderModifier that sets one header.
func headerFilter(name, value string) []snapshot.Filter {
	return []snapshot.Filter{{
		Type: snapshot.FilterRequestHeaderModifier,
		RequestHeaderModifier: &snapshot.HeaderModifier{
			Set: []snapshot.Header{{Name: name, Value: value}},
		},
	}}
}

func prefixPath(v string) snapshot.PathMatch {
	return snapshot.PathMatch{Type: snapshot.PathPrefix, Value: v}
}

func exactPath(v string) snapshot.PathMatch {
	return snapshot.PathMatch{Type: snapshot.PathExact, Value: v}
}

// listener is a snapshot socket "127.0.0.1:<n>" (a Key that ports maps to a real
// port) with one catch-all Gateway listener and virtual host.
func listener(n int32, routes ...*snapshot.Route) *snapshot.Listener {
	return &snapshot.Listener{
		Address: "127.0.0.1", Port: n, Protocol: snapshot.ProtocolHTTP,
		GatewayListeners: []*snapshot.GatewayListener{{
			Gateway: "ns/gw", Name: "http",
			VirtualHosts: []*snapshot.VirtualHost{{Routes: routes}},
		}},
	}
}

func snap(gen uint64, listeners ...*snapshot.Listener) *snapshot.Snapshot {
	return &snapshot.Snapshot{Generation: gen, Listeners: listeners}
}

// mustPublish publishes and fails the test on any bind error.
func mustPublish(t testing.TB, dp *DataPlane, s *snapshot.Snapshot) {
	t.Helper()
	if res := dp.Publish(s); len(res.BindErrors) > 0 {
		t.Fatalf("Publish: bind errors %v", res.BindErrors)
	}
}

// newHTTPClient is a keep-alive client that is independent of fasthttp, so that
// the wire format is checked by another implementation.
func newHTTPClient(t *testing.T) *http.Client {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: testTimeout}
}

type response struct {
	status  int
	header  http.Header
	body    string
	backend string
}

// get sends a request to the socket behind key and reads the whole response.
func get(t *testing.T, c *http.Client, addr, host, path string, headers ...string) response {
	t.Helper()
	return do(t, c, http.MethodGet, addr, host, path, nil, headers...)
}

func do(t *testing.T, c *http.Client, method, addr, host, path string, body io.Reader, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+addr+path, body)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	req.Host = host
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s%s: %v", method, host, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(b), backend: resp.Header.Get("X-Backend")}
}

// receivedHeader finds "Name: value" in a backendServer body.
func receivedHeader(body, name string) (string, bool) {
	for line := range strings.Lines(body) {
		k, v, ok := strings.Cut(strings.TrimRight(line, "\n"), ": ")
		if ok && strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }

// inMemoryDataPlane serves routes on an in-memory socket, for benchmarks and
// allocation tests that call serveRequest directly.
func inMemoryDataPlane(tb testing.TB, opts Options, routes ...*snapshot.Route) *DataPlane {
	tb.Helper()
	ln := fasthttputil.NewInmemoryListener()
	opts.Listen = func(string, string) (net.Listener, error) { return ln, nil }
	dp, _ := startDataPlane(tb, nil, opts)
	mustPublish(tb, dp, snap(1, listener(1, routes...)))
	return dp
}

// rawServer returns a function that parses raw into one reused RequestCtx and
// runs the whole handler on it, failing unless the answer is 200, and that
// RequestCtx, to look at the response. It allocates nothing of its own, so
// allocation counts are the data plane's (and the in-process backend's).
func rawServer(tb testing.TB, dp *DataPlane, raw string) (func(), *fasthttp.RequestCtx) {
	ctx := &fasthttp.RequestCtx{}
	ctx.Init(&fasthttp.Request{}, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}, nil)
	src := strings.NewReader(raw)
	br := bufio.NewReader(src)
	return func() {
		ctx.Request.Reset()
		ctx.Response.Reset()
		src.Reset(raw)
		br.Reset(src)
		if err := ctx.Request.Read(br); err != nil {
			tb.Fatalf("parsing: %v", err)
		}
		dp.serveRequest(ctx, "127.0.0.1:1")
		if ctx.Response.StatusCode() != 200 {
			tb.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
		}
	}, ctx
}
