package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/valyala/fasthttp"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// rawConn is one client connection driven by hand, to observe exactly what happens
// to it across swaps.
type rawConn struct {
	conn net.Conn
	br   *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, testTimeout)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &rawConn{conn: c, br: bufio.NewReader(c)}
}

// get sends one keep-alive request and reads its response.
func (r *rawConn) get(path string) (*http.Response, string, error) {
	_ = r.conn.SetDeadline(time.Now().Add(testTimeout))
	if _, err := fmt.Fprintf(r.conn, "GET %s HTTP/1.1\r\nHost: a.test\r\n\r\n", path); err != nil {
		return nil, "", err
	}
	resp, err := http.ReadResponse(r.br, nil)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	var sb strings.Builder
	_, err = bufio.NewReader(resp.Body).WriteTo(&sb)
	return resp, sb.String(), err
}

func TestSwapUnderLoadLosesNothing(t *testing.T) {
	t.Parallel()
	blue, green := startBackend(t, "blue"), startBackend(t, "green")
	// Each generation routes to another backend and stamps its own header, so
	// that the swaps really change what is served.
	generation := func(gen uint64) *snapshot.Snapshot {
		b := blue
		if gen%2 == 0 {
			b = green
		}
		route := routeTo("r", prefixPath("/"), ref("ns/"+b.name+":80", 1, b))
		route.Filters = headerFilter("X-Generation", fmt.Sprint(gen))
		return snap(gen, listener(1, route))
	}
	p := newPorts()
	dp, _ := startDataPlane(t, p, Options{})
	mustPublish(t, dp, generation(1))
	key := "127.0.0.1:1"
	addr := p.addr(t, key)

	// A connection opened before the swaps must still work after them.
	kept := dialRaw(t, addr)
	if resp, body, err := kept.get("/before"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("kept connection before the swaps: %v %v %q", resp, err, body)
	}

	const workers = 4
	var (
		stop     atomic.Bool
		dials    atomic.Int32
		requests atomic.Int64
		failures atomic.Int64
		firstErr atomic.Value
		wg       sync.WaitGroup
		warm     sync.WaitGroup // every worker has its connection
	)
	warm.Add(workers)
	for range workers {
		// One connection per worker: any connection the data plane closes shows up
		// as an extra dial.
		hc := &fasthttp.HostClient{
			Addr:     addr,
			MaxConns: 1,
			Dial: func(a string) (net.Conn, error) {
				dials.Add(1)
				return net.DialTimeout("tcp", a, testTimeout)
			},
			MaxIdemponentCallAttempts: 1,
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			for i := 0; i == 0 || !stop.Load(); i++ {
				req.SetRequestURI("http://a.test/load")
				err := hc.DoTimeout(req, resp, testTimeout)
				requests.Add(1)
				if err == nil && resp.StatusCode() != 200 {
					err = fmt.Errorf("status %d: %s", resp.StatusCode(), resp.Body())
				}
				if err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
				if i == 0 {
					warm.Done()
				}
			}
		}()
	}
	warm.Wait()

	deadline := time.Now().Add(testTimeout)
	for gen := uint64(2); gen <= 101; gen++ {
		mustPublish(t, dp, generation(gen))
		// Let the load make progress between swaps, so that every swap happens
		// under requests in flight rather than in one quick burst.
		for target := requests.Load() + workers; requests.Load() < target && time.Now().Before(deadline); {
			time.Sleep(50 * time.Microsecond)
		}
	}
	stop.Store(true)
	wg.Wait()

	if n := failures.Load(); n != 0 {
		t.Errorf("%d of %d requests failed during the swaps; first: %v", n, requests.Load(), firstErr.Load())
	}
	if n := dials.Load(); n != workers {
		t.Errorf("clients dialed %d times, want %d: the data plane closed keep-alive connections", n, workers)
	}
	if n := p.bindCount(key); n != 1 {
		t.Errorf("socket bound %d times, want 1: it was reopened by a swap", n)
	}

	resp, body, err := kept.get("/after")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("kept connection after the swaps: %v %v %q", resp, err, body)
	}
	if resp.Header.Get("X-Backend") != "blue" {
		t.Errorf("after the swaps the kept connection reached %q, want the last generation's backend blue", resp.Header.Get("X-Backend"))
	}
	if v, _ := receivedHeader(body, "X-Generation"); v != "101" {
		t.Errorf("request after the swaps carried generation %q, want 101", v)
	}
	t.Logf("%d requests during 100 swaps", requests.Load())
}

func TestRemovedSocketStopsAcceptingAndFinishesInFlight(t *testing.T) {
	t.Parallel()
	slow, arrived, release := holdingBackend(t, "slow")
	fast := startBackend(t, "fast")
	removed := listener(1, routeTo("slow", prefixPath("/"), ref("ns/slow:80", 1, slow)))
	kept := listener(2, routeTo("fast", prefixPath("/"), ref("ns/fast:80", 1, fast)))
	p := newPorts()
	dp, _ := startDataPlane(t, p, Options{})
	mustPublish(t, dp, snap(1, removed, kept))
	removedAddr, keptAddr := p.addr(t, removed.Key()), p.addr(t, kept.Key())

	inFlight := dialRaw(t, removedAddr)
	type result struct {
		resp *http.Response
		body string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, body, err := inFlight.get("/slow")
		done <- result{resp, body, err}
	}()
	<-arrived // the request is at the backend now

	mustPublish(t, dp, snap(2, kept))

	// Publish returns after the removed socket stopped accepting.
	if c, err := net.DialTimeout("tcp", removedAddr, testTimeout); err == nil {
		_ = c.Close()
		t.Error("the removed socket still accepts connections")
	} else if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dialing the removed socket: %v, want connection refused", err)
	}
	if resp := get(t, newHTTPClient(t), keptAddr, "a.test", "/"); resp.status != 200 || resp.backend != "fast" {
		t.Errorf("kept socket answered %d from %q", resp.status, resp.backend)
	}

	release()
	r := <-done
	if r.err != nil || r.resp.StatusCode != 200 || r.body != "slow done" {
		t.Fatalf("in-flight request on the removed socket: %v %v %q", r.resp, r.err, r.body)
	}
	if !r.resp.Close {
		t.Error("the last response on a drained connection should say Connection: close")
	}
}

func TestBindErrorIsReportedPerSocket(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { _ = busy.Close() })
	busyPort := int32(busy.Addr().(*net.TCPAddr).Port)
	b := startBackend(t, "ok")

	p := newPorts()
	// Real binding for the busy key, the port mapper for the rest.
	busyKey := "127.0.0.1:" + itoa(busyPort)
	listen := func(network, key string) (net.Listener, error) {
		if key == busyKey {
			return net.Listen(network, key)
		}
		return p.listen(network, key)
	}
	dp, _ := startDataPlane(t, p, Options{Listen: listen})
	good := listener(1, routeTo("r", prefixPath("/"), ref("ns/ok:80", 1, b)))
	res := dp.Publish(snap(1, good, listener(busyPort, routeTo("r2", prefixPath("/"), ref("ns/ok:80", 1, b)))))

	if len(res.BindErrors) != 1 || !errors.Is(res.BindErrors[busyKey], syscall.EADDRINUSE) {
		t.Fatalf("BindErrors = %v, want only %s: address in use", res.BindErrors, busyKey)
	}
	if resp := get(t, newHTTPClient(t), p.addr(t, good.Key()), "a.test", "/"); resp.status != 200 {
		t.Errorf("the socket that bound answered %d", resp.status)
	}
	if !dp.Ready() {
		t.Error("Ready is false although a snapshot is live")
	}
}

func TestUnsupportedProtocolIsABindError(t *testing.T) {
	t.Parallel()
	dp := New(Options{Listen: newPorts().listen}, logr.Discard())
	l := listener(1)
	l.Protocol = "TCP" // HTTPS is served since TLS termination landed
	res := dp.Publish(snap(1, l))
	if res.BindErrors[l.Key()] == nil {
		t.Errorf("BindErrors = %v, want an error for %s", res.BindErrors, l.Key())
	}
}

func TestGracefulDrainOnContextCancel(t *testing.T) {
	t.Parallel()
	slow, arrived, release := holdingBackend(t, "slow")
	fast := startBackend(t, "fast")
	l := listener(1,
		routeTo("fast", exactPath("/fast"), ref("ns/fast:80", 1, fast)),
		routeTo("slow", prefixPath("/"), ref("ns/slow:80", 1, slow)),
	)
	p := newPorts()
	dp, stop := startDataPlane(t, p, Options{})
	if dp.Ready() {
		t.Error("Ready before the first snapshot")
	}
	mustPublish(t, dp, snap(1, l))
	if !dp.Ready() {
		t.Error("not Ready after the first snapshot")
	}
	addr := p.addr(t, l.Key())

	// A keep-alive connection that served a request and now idles: the drain
	// closes it. (A connection that never sent a request counts as idle only after
	// a grace period, as in net/http.)
	idle := dialRaw(t, addr)
	if resp, _, err := idle.get("/fast"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("request on the idle connection: %v %v", resp, err)
	}
	_ = idle.conn.SetReadDeadline(time.Now().Add(testTimeout))
	inFlight := dialRaw(t, addr)
	done := make(chan error, 1)
	go func() {
		resp, body, err := inFlight.get("/slow")
		if err == nil && (resp.StatusCode != 200 || body != "slow done") {
			err = fmt.Errorf("got %d %q", resp.StatusCode, body)
		}
		done <- err
	}()
	<-arrived

	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()

	// The drain closes the listener and the idle connection while the slow
	// request is still at the backend.
	if _, err := idle.br.ReadByte(); err == nil {
		t.Error("the idle connection received data instead of being closed")
	}
	if dp.Ready() {
		t.Error("still Ready while shutting down")
	}
	release()
	if err := <-done; err != nil {
		t.Errorf("in-flight request during the drain: %v", err)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Start returned %v after a clean drain", err)
	}
	if c, err := net.DialTimeout("tcp", addr, testTimeout); err == nil {
		_ = c.Close()
		t.Error("the socket accepts connections after shutdown")
	}
	res := dp.Publish(snap(2, l))
	if !errors.Is(res.BindErrors[l.Key()], ErrStopped) {
		t.Errorf("Publish after shutdown: %v, want ErrStopped", res.BindErrors)
	}
}

func TestDrainTimeoutClosesWhatRemains(t *testing.T) {
	t.Parallel()
	slow, arrived, _ := holdingBackend(t, "slow") // never released before cleanup
	l := listener(1, routeTo("slow", prefixPath("/"), ref("ns/slow:80", 1, slow)))
	p := newPorts()
	dp, stop := startDataPlane(t, p, Options{DrainTimeout: 50 * time.Millisecond})
	mustPublish(t, dp, snap(1, l))

	stuck := dialRaw(t, p.addr(t, l.Key()))
	done := make(chan error, 1)
	go func() {
		_, _, err := stuck.get("/slow")
		done <- err
	}()
	<-arrived
	if err := stop(); err == nil {
		t.Error("Start returned nil although a request outlived the drain timeout")
	}
	if err := <-done; err == nil {
		t.Error("the request that outlived the drain got a response; its connection should have been closed")
	}
}

func TestStartTwice(t *testing.T) {
	t.Parallel()
	dp := New(Options{Listen: newPorts().listen}, logr.Discard())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := dp.Start(ctx); err != nil {
		t.Fatalf("first Start: %v", err)
	}
	if err := dp.Start(context.Background()); err == nil {
		t.Error("second Start returned nil, want an error")
	}
}
