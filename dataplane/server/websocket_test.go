package server

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// startWebSocketBackend is a loopback WebSocket echo server (gorilla/websocket on
// net/http: an implementation independent of fasthttp). It prefixes each echo with
// its name and answers plain requests to /plain with 200, and upgrade requests to
// /forbidden with 403.
func startWebSocketBackend(t *testing.T, name string) (*backendServer, <-chan http.Header) {
	t.Helper()
	handshakes := make(chan http.Header, 16)
	upgrader := websocket.Upgrader{}
	mux := http.NewServeMux()
	mux.HandleFunc("/forbidden", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "no websockets here", http.StatusForbidden)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		handshakes <- r.Header.Clone()
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
			if err := conn.WriteMessage(kind, []byte(name+": "+string(msg))); err != nil {
				return
			}
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: testTimeout}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	tcp := ln.Addr().(*net.TCPAddr)
	return &backendServer{name: name, addr: tcp.String(), ip: tcp.IP.String(), port: int32(tcp.Port)}, handshakes
}

func dialWebSocket(t *testing.T, addr, path string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	dialer := websocket.Dialer{HandshakeTimeout: testTimeout}
	return dialer.Dial("ws://"+addr+path, nil)
}

func echo(t *testing.T, conn *websocket.Conn, msg string) string {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	if err := conn.SetWriteDeadline(deadline); err != nil {
		t.Fatal(err)
	}
	if err := conn.SetReadDeadline(deadline); err != nil {
		t.Fatal(err)
	}
	if err := conn.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		t.Fatalf("writing %q: %v", msg, err)
	}
	_, reply, err := conn.ReadMessage()
	if err != nil {
		t.Fatalf("reading the echo of %q: %v", msg, err)
	}
	return string(reply)
}

func TestWebSocketIsTunnelled(t *testing.T) {
	t.Parallel()
	p := newPorts()
	dp, _ := startDataPlane(t, p, Options{})
	ws, handshakes := startWebSocketBackend(t, "ws")
	mustPublish(t, dp, snap(1, listener(1, routeTo("ws", prefixPath("/"), ref("ns/ws:80", 1, ws)))))

	conn, resp, err := dialWebSocket(t, p.addr(t, "127.0.0.1:1"), "/chat")
	if err != nil {
		t.Fatalf("WebSocket handshake through the data plane: %v (response %+v)", err, resp)
	}
	defer conn.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d, want 101", resp.StatusCode)
	}
	for i := range 20 {
		msg := fmt.Sprintf("hello %d %s", i, strings.Repeat("x", i*100))
		if got, want := echo(t, conn, msg), "ws: "+msg; got != want {
			t.Fatalf("echo = %.40q..., want %.40q...", got, want)
		}
	}
	h := <-handshakes
	if h.Get("X-Forwarded-For") != "127.0.0.1" || h.Get("X-Forwarded-Proto") != "http" {
		t.Errorf("the backend's handshake lacks the forwarding headers: %v", h)
	}
	if !strings.EqualFold(h.Get("Upgrade"), "websocket") || h.Get("Sec-Websocket-Key") == "" {
		t.Errorf("the backend's handshake lost the upgrade headers: %v", h)
	}
}

// TestWebSocketSurvivesSwaps: a tunnel belongs to no snapshot. One opened before
// 100 configuration changes (routes added and removed, backends re-weighted and
// moved, even its own route removed) keeps working after them.
func TestWebSocketSurvivesSwaps(t *testing.T) {
	t.Parallel()
	p := newPorts()
	dp, _ := startDataPlane(t, p, Options{})
	ws, _ := startWebSocketBackend(t, "ws")
	other := startBackend(t, "other")
	mustPublish(t, dp, snap(1, listener(1, routeTo("ws", prefixPath("/"), ref("ns/ws:80", 1, ws)))))
	conn, _, err := dialWebSocket(t, p.addr(t, "127.0.0.1:1"), "/live")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for gen := uint64(2); gen <= 101; gen++ {
		routes := []*snapshot.Route{routeTo("other", prefixPath("/other"), ref("ns/other:80", int32(gen%7)+1, other))}
		if gen%3 != 0 { // every third snapshot drops the WebSocket's own route
			routes = append(routes, routeTo("ws", prefixPath("/"), ref("ns/ws:80", int32(gen%5)+1, ws)))
		}
		mustPublish(t, dp, snap(gen, listener(1, routes...)))
		if gen%10 == 0 {
			if got := echo(t, conn, fmt.Sprintf("after %d", gen)); got != fmt.Sprintf("ws: after %d", gen) {
				t.Fatalf("after snapshot %d the tunnel answered %q", gen, got)
			}
		}
	}
	if dp.tunnels.Len() != 1 {
		t.Errorf("%d tunnels open, want 1", dp.tunnels.Len())
	}
}

func TestWebSocketDeclinedByBackendIsRelayed(t *testing.T) {
	t.Parallel()
	p := newPorts()
	dp, _ := startDataPlane(t, p, Options{})
	ws, _ := startWebSocketBackend(t, "ws")
	mustPublish(t, dp, snap(1, listener(1, routeTo("ws", prefixPath("/"), ref("ns/ws:80", 1, ws)))))
	_, resp, err := dialWebSocket(t, p.addr(t, "127.0.0.1:1"), "/forbidden")
	if err == nil {
		t.Fatal("the handshake succeeded, want the backend's 403")
	}
	if resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("response %+v, want the backend's 403", resp)
	}
	if dp.tunnels.Len() != 0 {
		t.Errorf("a declined upgrade left %d tunnels", dp.tunnels.Len())
	}
}

func TestWebSocketToUnreachableBackendIs502(t *testing.T) {
	t.Parallel()
	p := newPorts()
	dp, _ := startDataPlane(t, p, Options{})
	mustPublish(t, dp, snap(1, listener(1, routeTo("ws", prefixPath("/"), ref("ns/gone:80", 1, closedBackend(t))))))
	_, resp, err := dialWebSocket(t, p.addr(t, "127.0.0.1:1"), "/")
	if err == nil || resp == nil || resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("got %+v, %v; want 502", resp, err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q", ct)
	}
}

// TestShutdownClosesTunnels: a WebSocket gets the drain timeout to end by itself,
// then shutdown closes it rather than waiting forever.
func TestShutdownClosesTunnels(t *testing.T) {
	t.Parallel()
	p := newPorts()
	dp, stop := startDataPlane(t, p, Options{DrainTimeout: 200 * time.Millisecond})
	ws, _ := startWebSocketBackend(t, "ws")
	mustPublish(t, dp, snap(1, listener(1, routeTo("ws", prefixPath("/"), ref("ns/ws:80", 1, ws)))))
	conn, _, err := dialWebSocket(t, p.addr(t, "127.0.0.1:1"), "/")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	echo(t, conn, "before")
	_ = stop()
	if err := conn.SetReadDeadline(time.Now().Add(testTimeout)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := conn.ReadMessage(); err == nil {
		t.Fatal("the tunnel is still open after shutdown")
	}
	if n := dp.tunnels.Len(); n != 0 {
		t.Errorf("%d tunnels left after shutdown", n)
	}
}
