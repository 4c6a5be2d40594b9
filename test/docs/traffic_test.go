package docs

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"github.com/turnpike-gateway/turnpike/dataplane/server"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// serveExample compiles an example directory and serves it with the real data plane
// on free loopback ports: every socket of the example binds a free port instead of
// its documented one, and every endpoint points at one loopback backend, so the
// test can run beside `make run`. It returns the address of the example's listener.
func serveExample(t *testing.T, example string) string {
	t.Helper()
	snap, _ := compileExample(t, filepath.Join(examplesDir, example))
	return serveSnapshot(t, snap, startBackend(t))
}

// serveSnapshot serves a compiled example with the real data plane, every
// endpoint pointing at the loopback backend, and returns the address of its one
// socket.
func serveSnapshot(t *testing.T, snap *snapshot.Snapshot, backend int32) string {
	t.Helper()
	for _, socket := range snap.Listeners {
		for _, gl := range socket.GatewayListeners {
			for _, vh := range gl.VirtualHosts {
				for _, route := range vh.Routes {
					for _, b := range route.Backends {
						for i := range b.Endpoints {
							b.Endpoints[i] = snapshot.Endpoint{IP: "127.0.0.1", Port: backend}
						}
					}
				}
			}
		}
	}
	var (
		mu    sync.Mutex
		bound = map[string]string{}
	)
	dp := server.New(server.Options{Listen: func(network, key string) (net.Listener, error) {
		ln, err := net.Listen(network, "127.0.0.1:0")
		if err == nil {
			mu.Lock()
			bound[key] = ln.Addr().String()
			mu.Unlock()
		}
		return ln, err
	}}, logr.Discard())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- dp.Start(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	if res := dp.Publish(snap); len(res.BindErrors) > 0 {
		t.Fatalf("bind errors: %v", res.BindErrors)
	}
	if len(snap.Listeners) != 1 {
		t.Fatalf("the example has %d sockets, want 1", len(snap.Listeners))
	}
	mu.Lock()
	defer mu.Unlock()
	return bound[snap.Listeners[0].Key()]
}

func startBackend(t *testing.T) int32 {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "ok")
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return int32(ln.Addr().(*net.TCPAddr).Port)
}

// send makes n requests and returns how many were admitted (200) and the first
// refused response (429), failing on any other status.
func send(t *testing.T, n int, method, url string, header map[string]string) (admitted int, refused *http.Response) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	for range n {
		req, err := http.NewRequest(method, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK:
			admitted++
		case http.StatusTooManyRequests:
			if refused == nil {
				refused = resp
			}
		default:
			t.Fatalf("%s %s: status %d", method, url, resp.StatusCode)
		}
	}
	return admitted, refused
}

// The windows of these examples are 10 s and 1 min; a burst of requests on
// loopback takes milliseconds, so each burst below falls in one window (if a burst
// ever took longer than a window, more requests would be admitted and the test
// would fail loudly rather than pass by accident).

func TestRateLimitExamplesLimitTraffic(t *testing.T) {
	t.Parallel()
	t.Run("per-api-key", func(t *testing.T) {
		t.Parallel()
		base := "http://" + serveExample(t, "per-api-key")
		admitted, refused := send(t, 8, http.MethodGet, base+"/", map[string]string{"X-Api-Key": "alice"})
		if admitted != 5 || refused == nil {
			t.Fatalf("alice: %d admitted of 8, want 5 and then 429", admitted)
		}
		for _, h := range []string{"Retry-After", "RateLimit-Policy", "RateLimit"} {
			if refused.Header.Get(h) == "" {
				t.Errorf("the 429 has no %s header: %v", h, refused.Header)
			}
		}
		if refused.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("the 429 is %q, want application/problem+json", refused.Header.Get("Content-Type"))
		}
		if admitted, _ := send(t, 5, http.MethodGet, base+"/", map[string]string{"X-Api-Key": "bob"}); admitted != 5 {
			t.Errorf("bob has his own counter: %d of 5 admitted", admitted)
		}
		if admitted, refused := send(t, 4, http.MethodGet, base+"/", nil); admitted != 2 || refused == nil {
			t.Errorf("without a key: %d of 4 admitted, want 2", admitted)
		}
	})
	t.Run("per-client-ip", func(t *testing.T) {
		t.Parallel()
		base := "http://" + serveExample(t, "per-client-ip")
		// 3 per second and 20 per minute: however fast the burst, the minute caps it.
		admitted, refused := send(t, 25, http.MethodGet, base+"/", nil)
		if admitted < 3 || admitted > 20 || refused == nil {
			t.Errorf("%d of 25 admitted, want between 3 and 20 and some refused", admitted)
		}
	})
	t.Run("per-route-rule", func(t *testing.T) {
		t.Parallel()
		base := "http://" + serveExample(t, "per-route-rule")
		if admitted, refused := send(t, 4, http.MethodPost, base+"/checkout", nil); admitted != 2 || refused == nil {
			t.Errorf("checkout: %d of 4 admitted, want 2", admitted)
		}
		if admitted, _ := send(t, 10, http.MethodGet, base+"/products", nil); admitted != 10 {
			t.Errorf("browsing is not limited: %d of 10 admitted", admitted)
		}
	})
	t.Run("gateway-default-route-override", func(t *testing.T) {
		t.Parallel()
		base := "http://" + serveExample(t, "gateway-default-route-override")
		if admitted, refused := send(t, 12, http.MethodGet, base+"/", nil); admitted != 10 || refused == nil {
			t.Errorf("public route, gateway default 10 per client: %d of 12 admitted", admitted)
		}
		// The partner route's own policy replaces the gateway default.
		if admitted, _ := send(t, 15, http.MethodGet, base+"/partner", map[string]string{"X-Api-Key": "p1"}); admitted != 15 {
			t.Errorf("partner route: %d of 15 admitted, want all (its own 100 per 10s)", admitted)
		}
	})
}
