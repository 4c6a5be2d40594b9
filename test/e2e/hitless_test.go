package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// hitlessBackend is an in-process loopback backend: it answers plain requests with
// its name and echoes WebSocket messages on /ws.
func hitlessBackend(t *testing.T, name string) int {
	t.Helper()
	upgrader := websocket.Upgrader{}
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		conn, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		for {
			kind, msg, err := conn.ReadMessage()
			if err != nil {
				return
			}
			if err := conn.WriteMessage(kind, append([]byte(name+": "), msg...)); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, name)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().(*net.TCPAddr).Port
}

const hitlessGateway = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: turnpike}
spec: {controllerName: turnpike.dev/gateway-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  gatewayClassName: turnpike
  addresses: [{type: IPAddress, value: 127.0.0.1}]
  listeners: [{name: http, protocol: HTTP, port: %d}]
`

// hitlessConfig is the configuration of step i of the churn: the main route's two
// backends change weight, the Service's endpoint set grows and shrinks, an extra
// route comes and goes, and a marker route moves so the test can see the step live.
func hitlessConfig(step int, ports []int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: main, namespace: default}
spec:
  parentRefs: [{name: gw}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /}}]
    backendRefs:
    - {name: blue, port: 80, weight: %d}
    - {name: green, port: 80, weight: %d}
  - matches: [{path: {type: PathPrefix, value: /ws}}]
    backendRefs: [{name: ws, port: 80}]
  - matches: [{path: {type: Exact, value: /marker-%d}}]
    backendRefs: [{name: ws, port: 80}]
`, 1+step%4, 1+(step+2)%4, step)
	if step%2 == 0 {
		fmt.Fprintf(&b, `---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: extra-%d, namespace: default}
spec:
  parentRefs: [{name: gw}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /extra}}]
    backendRefs: [{name: green, port: 80}]
`, step)
	}
	service := func(name string, endpointPorts []int) {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Service\nmetadata: {name: %s, namespace: default}\nspec:\n  ports: [{name: http, port: 80}]\n", name)
		for i, port := range endpointPorts {
			fmt.Fprintf(&b, `---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: %s-%d
  namespace: default
  labels: {kubernetes.io/service-name: %s}
addressType: IPv4
ports: [{name: http, port: %d, protocol: TCP}]
endpoints: [{addresses: [127.0.0.1], conditions: {ready: true}}]
`, name, i, name, port)
		}
	}
	// blue scales between one and three endpoints; green keeps its own.
	service("blue", ports[:1+step%3])
	service("green", ports[3:4])
	service("ws", ports[4:5])
	return b.String()
}

// TestHitlessChanges: steady load on kept-alive connections while the configuration
// changes 100 times sees no failed request and no closed connection, and a
// WebSocket opened before the changes still works after them.
func TestHitlessChanges(t *testing.T) {
	ports := []int{
		hitlessBackend(t, "blue-0"), hitlessBackend(t, "blue-1"), hitlessBackend(t, "blue-2"),
		hitlessBackend(t, "green"), hitlessBackend(t, "ws"),
	}
	dir := t.TempDir()
	listenPort := freePort(t)
	if err := os.WriteFile(filepath.Join(dir, "gateway.yaml"), []byte(fmt.Sprintf(hitlessGateway, listenPort)), 0o644); err != nil {
		t.Fatal(err)
	}
	writeAtomically(t, filepath.Join(dir, "routes.yaml"), []byte(hitlessConfig(0, ports)))
	admin := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	_, logs := startProcess(t, turnpikeBin, "standalone", "--config", dir, "--admin-address", admin)
	base := fmt.Sprintf("http://127.0.0.1:%d", listenPort)
	probe := &http.Client{Timeout: 5 * time.Second}
	// The marker route of step N sends /marker-N to the ws backend; until step N is
	// live the catch-all route answers it from blue or green.
	markerLive := func(step int) func() error {
		return func() error {
			resp, body, err := get(probe, fmt.Sprintf("%s/marker-%d", base, step), "")
			if err != nil {
				return err
			}
			if resp.StatusCode != http.StatusOK || string(body) != "ws" {
				return fmt.Errorf("/marker-%d: status %d: %s", step, resp.StatusCode, body)
			}
			return nil
		}
	}
	waitFor(t, "first configuration live", logs, markerLive(0))

	dialer := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	ws, _, err := dialer.Dial(fmt.Sprintf("ws://127.0.0.1:%d/ws", listenPort), nil)
	if err != nil {
		t.Fatalf("opening the WebSocket: %v", err)
	}
	defer ws.Close()
	wsEcho := func(msg string) error {
		_ = ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
		_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		if err := ws.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
			return err
		}
		_, reply, err := ws.ReadMessage()
		if err != nil {
			return err
		}
		if string(reply) != "ws: "+msg {
			return fmt.Errorf("echo %q", reply)
		}
		return nil
	}
	if err := wsEcho("before"); err != nil {
		t.Fatal(err)
	}

	// Steady load: each worker has one kept-alive connection; every dial is counted,
	// so a connection the gateway closes or resets shows up as a second dial.
	const workers = 4
	var (
		dials, requests, failures atomic.Int64
		stop                      atomic.Bool
		wg                        sync.WaitGroup
		errMu                     sync.Mutex
		firstErr                  error
	)
	for range workers {
		transport := &http.Transport{
			MaxIdleConnsPerHost: 1,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				dials.Add(1)
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			},
		}
		client := &http.Client{Transport: transport, Timeout: 10 * time.Second}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer transport.CloseIdleConnections()
			for !stop.Load() {
				resp, body, err := get(client, base+"/", "")
				requests.Add(1)
				if err == nil && (resp.StatusCode != http.StatusOK || !(strings.HasPrefix(string(body), "blue") || string(body) == "green")) {
					err = fmt.Errorf("status %d: %s", resp.StatusCode, body)
				}
				if err != nil {
					failures.Add(1)
					errMu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					errMu.Unlock()
				}
			}
		}()
	}

	const changes = 100
	var slowest time.Duration
	for step := 1; step <= changes; step++ {
		writeAtomically(t, filepath.Join(dir, "routes.yaml"), []byte(hitlessConfig(step, ports)))
		if took := waitFor(t, fmt.Sprintf("change %d live", step), logs, markerLive(step)); took > slowest {
			slowest = took
		}
		if step%25 == 0 {
			if err := wsEcho(fmt.Sprintf("after change %d", step)); err != nil {
				t.Fatalf("the WebSocket broke by change %d: %v", step, err)
			}
		}
	}
	stop.Store(true)
	wg.Wait()

	t.Logf("%d changes, %d requests on %d connections, %d failed; slowest change to go live (with polling) %s",
		changes, requests.Load(), dials.Load(), failures.Load(), slowest)
	if failures.Load() != 0 {
		t.Errorf("%d of %d requests failed during the changes; first: %v", failures.Load(), requests.Load(), firstErr)
	}
	if dials.Load() != workers {
		t.Errorf("%d connections were dialled for %d workers: the gateway closed or reset kept-alive connections", dials.Load(), workers)
	}
	if err := wsEcho("after all changes"); err != nil {
		t.Errorf("the WebSocket opened before the changes no longer works: %v", err)
	}
}
