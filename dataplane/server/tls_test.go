package server

import (
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestTLSPicksListenerBySNI: the handshake picks the listener the way the router
// picks one by host (exact, longest wildcard suffix, then any host), and the
// request that follows is routed, told it came over https, and forwarded.
func TestTLSPicksListenerBySNI(t *testing.T) {
	t.Parallel()
	apiBackend, wildBackend, anyBackend := startBackend(t, "api"), startBackend(t, "wild"), startBackend(t, "any")
	key := ecdsaKey(t)
	apiCert := newCertificate(t, key, "api.example.com")
	wildCert := newCertificate(t, key, "*.example.com")
	deepCert := newCertificate(t, key, "*.deep.example.com")
	anyCert := newCertificate(t, key, "default.test")

	p := newPorts()
	dp, _ := startDataPlane(t, p, Options{})
	mustPublish(t, dp, snap(1, httpsListener(1,
		tlsGatewayListener("api", "api.example.com", apiBackend, apiCert),
		tlsGatewayListener("deep", "*.deep.example.com", wildBackend, deepCert),
		tlsGatewayListener("wild", "*.example.com", wildBackend, wildCert),
		tlsGatewayListener("any", "", anyBackend, anyCert),
	)))
	addr := p.addr(t, "127.0.0.1:1")

	tests := []struct {
		serverName  string
		wantCert    string
		wantBackend string
	}{
		{"api.example.com", "api.example.com", "api"},
		{"API.Example.COM", "api.example.com", "api"},
		{"www.example.com", "*.example.com", "wild"},
		{"a.b.example.com", "*.example.com", "wild"},
		{"x.deep.example.com", "*.deep.example.com", "wild"},
		{"example.com", "default.test", "any"},
		{"other.test", "default.test", "any"},
		{"", "default.test", "any"},
	}
	for _, tt := range tests {
		t.Run("sni="+tt.serverName, func(t *testing.T) {
			t.Parallel()
			c := mustDialTLS(t, addr, &tls.Config{ServerName: tt.serverName})
			if got := c.servedName(); got != tt.wantCert {
				t.Errorf("certificate for %q = %s, want %s", tt.serverName, got, tt.wantCert)
			}
			if proto := c.conn.ConnectionState().NegotiatedProtocol; proto != "" {
				t.Errorf("negotiated ALPN %q without offering any", proto)
			}
			host := tt.serverName
			if host == "" {
				host = "default.test"
			}
			resp := c.get(t, host, "/hello")
			if resp.status != 200 || resp.backend != tt.wantBackend {
				t.Fatalf("GET https://%s/hello = %d from %q, want 200 from %q: %s", host, resp.status, resp.backend, tt.wantBackend, resp.body)
			}
			if proto, _ := receivedHeader(resp.body, "X-Forwarded-Proto"); proto != "https" {
				t.Errorf("backend got X-Forwarded-Proto %q, want https", proto)
			}
		})
	}
}

// TestTLSWithoutCatchAll: without a listener for any hostname, a client that
// sends no server name gets the most specific listener, and one whose server
// name no listener serves fails the handshake; the socket keeps serving.
func TestTLSWithoutCatchAll(t *testing.T) {
	t.Parallel()
	b := startBackend(t, "b")
	key := ecdsaKey(t)
	p := newPorts()
	dp, _ := startDataPlane(t, p, Options{})
	mustPublish(t, dp, snap(1, httpsListener(1,
		tlsGatewayListener("api", "api.example.com", b, newCertificate(t, key, "api.example.com")),
		tlsGatewayListener("wild", "*.example.com", b, newCertificate(t, key, "*.example.com")),
	)))
	addr := p.addr(t, "127.0.0.1:1")

	if got := mustDialTLS(t, addr, &tls.Config{}).servedName(); got != "api.example.com" {
		t.Errorf("certificate without SNI = %s, want the most specific listener's", got)
	}
	if _, err := dialTLS(t, addr, &tls.Config{ServerName: "other.test"}); err == nil || !strings.Contains(err.Error(), "unrecognized name") {
		t.Errorf("handshake for a server name no listener serves: %v, want the unrecognized_name alert", err)
	}
	if resp := mustDialTLS(t, addr, &tls.Config{ServerName: "www.example.com"}).get(t, "www.example.com", "/"); resp.status != 200 {
		t.Fatalf("after a failed handshake: %d %s", resp.status, resp.body)
	}
}

// TestTLSCertificateChoice: within one listener, the certificate that names the
// server name exactly beats a wildcard one, and a client that cannot use the
// first certificate's key type gets one it can use.
func TestTLSCertificateChoice(t *testing.T) {
	t.Parallel()
	b := startBackend(t, "b")
	ecKey, rsaPrivate := ecdsaKey(t), rsaKey(t)
	wildEC := newCertificate(t, ecKey, "*.example.com")
	apiEC := newCertificate(t, ecKey, "api.example.com")
	wwwEC := newCertificate(t, ecKey, "www.example.com")
	wwwRSA := newCertificate(t, rsaPrivate, "www.example.com", "rsa.www.example.com")

	p := newPorts()
	dp, _ := startDataPlane(t, p, Options{})
	mustPublish(t, dp, snap(1, httpsListener(1,
		tlsGatewayListener("any", "", b, wildEC, apiEC, wwwEC, wwwRSA),
	)))
	addr := p.addr(t, "127.0.0.1:1")

	// ECDHE-RSA suites only, over TLS 1.2: the client cannot take an ECDSA key.
	rsaOnly := &tls.Config{
		MaxVersion:   tls.VersionTLS12,
		CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256},
	}
	tests := []struct {
		name       string
		config     *tls.Config
		serverName string
		want       string // leaf's DNS names, joined
	}{
		{"exact beats wildcard", &tls.Config{}, "api.example.com", "api.example.com"},
		{"wildcard when no exact", &tls.Config{}, "shop.example.com", "*.example.com"},
		{"first compatible of two exact", &tls.Config{}, "www.example.com", "www.example.com"},
		{"key type the client supports", rsaOnly, "www.example.com", "www.example.com,rsa.www.example.com"},
		{"no name fits: the first", &tls.Config{}, "other.test", "*.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			config := tt.config.Clone()
			config.ServerName = tt.serverName
			c := mustDialTLS(t, addr, config)
			if got := strings.Join(c.conn.ConnectionState().PeerCertificates[0].DNSNames, ","); got != tt.want {
				t.Errorf("certificate for %q = %s, want %s", tt.serverName, got, tt.want)
			}
		})
	}
}

// TestTLSRotation: a Publish with a new certificate is served from the next
// handshake on, on the same socket, while a connection opened before keeps
// working with the certificate it negotiated.
func TestTLSRotation(t *testing.T) {
	t.Parallel()
	b := startBackend(t, "b")
	key := ecdsaKey(t)
	before := newCertificate(t, key, "www.example.com")
	after := newCertificate(t, key, "www.example.com")
	p := newPorts()
	dp, _ := startDataPlane(t, p, Options{})
	mustPublish(t, dp, snap(1, httpsListener(1, tlsGatewayListener("www", "www.example.com", b, before))))
	addr := p.addr(t, "127.0.0.1:1")

	old := mustDialTLS(t, addr, &tls.Config{ServerName: "www.example.com"})
	if resp := old.get(t, "www.example.com", "/1"); resp.status != 200 {
		t.Fatalf("before the rotation: %d %s", resp.status, resp.body)
	}

	mustPublish(t, dp, snap(2, httpsListener(1, tlsGatewayListener("www", "www.example.com", b, after))))

	fresh := mustDialTLS(t, addr, &tls.Config{ServerName: "www.example.com"})
	if got := fresh.conn.ConnectionState().PeerCertificates[0].SerialNumber; got.Cmp(after.Leaf.SerialNumber) != 0 {
		t.Errorf("a handshake after the rotation got serial %s, want the new certificate's %s", got, after.Leaf.SerialNumber)
	}
	if resp := old.get(t, "www.example.com", "/2"); resp.status != 200 {
		t.Fatalf("the connection opened before the rotation failed: %d %s", resp.status, resp.body)
	}
	if got := old.conn.ConnectionState().PeerCertificates[0].SerialNumber; got.Cmp(before.Leaf.SerialNumber) != 0 {
		t.Errorf("the old connection's certificate changed to serial %s", got)
	}
	if n := p.bindCount("127.0.0.1:1"); n != 1 {
		t.Errorf("socket bound %d times; a rotation must not rebind", n)
	}
}

// TestTLSRequestsClientCertificateOnlyWhenAsked: a listener with
// RequestClientCertificate asks for a certificate without requiring one; the
// others never ask.
func TestTLSRequestsClientCertificateOnlyWhenAsked(t *testing.T) {
	t.Parallel()
	b := startBackend(t, "b")
	key := ecdsaKey(t)
	clientCert := newCertificate(t, key, "client.test")
	mtls := tlsGatewayListener("mtls", "mtls.example.com", b, newCertificate(t, key, "mtls.example.com"))
	mtls.RequestClientCertificate = true
	p := newPorts()
	dp, _ := startDataPlane(t, p, Options{})
	mustPublish(t, dp, snap(1, httpsListener(1,
		mtls,
		tlsGatewayListener("plain", "plain.example.com", b, newCertificate(t, key, "plain.example.com")),
	)))
	addr := p.addr(t, "127.0.0.1:1")

	for _, tt := range []struct {
		serverName string
		offer      bool
		wantAsked  bool
	}{
		{"mtls.example.com", true, true},
		{"mtls.example.com", false, true}, // asked, none given: still connects
		{"plain.example.com", true, false},
	} {
		asked := false
		config := &tls.Config{ServerName: tt.serverName,
			GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
				asked = true
				if tt.offer {
					return clientCert, nil
				}
				return &tls.Certificate{}, nil
			}}
		c := mustDialTLS(t, addr, config)
		// TLS 1.3 clients learn of a request during the handshake, which
		// completes before Dial returns; one request proves the server accepted.
		if resp := c.get(t, tt.serverName, "/"); resp.status != 200 {
			t.Fatalf("%s (certificate offered: %v): %d %s", tt.serverName, tt.offer, resp.status, resp.body)
		}
		if asked != tt.wantAsked {
			t.Errorf("%s: asked for a client certificate = %v, want %v", tt.serverName, asked, tt.wantAsked)
		}
	}
}

// TestTLSProtocolChangeReplacesSocket: the same Key turning from HTTP to HTTPS
// and back gets a new socket each time, and each serves its protocol.
func TestTLSProtocolChangeReplacesSocket(t *testing.T) {
	t.Parallel()
	b := startBackend(t, "b")
	cert := newCertificate(t, ecdsaKey(t), "www.example.com")
	p := newPorts()
	dp, _ := startDataPlane(t, p, Options{})
	client := newHTTPClient(t)
	key := "127.0.0.1:1"
	plain := listener(1, routeTo("r", prefixPath("/"), ref("ns/b:80", 1, b)))

	mustPublish(t, dp, snap(1, plain))
	if resp := get(t, client, p.addr(t, key), "www.example.com", "/"); resp.status != 200 {
		t.Fatalf("HTTP: %d %s", resp.status, resp.body)
	}

	mustPublish(t, dp, snap(2, httpsListener(1, tlsGatewayListener("www", "www.example.com", b, cert))))
	if n := p.bindCount(key); n != 2 {
		t.Fatalf("socket bound %d times after HTTP -> HTTPS, want 2", n)
	}
	if resp := mustDialTLS(t, p.addr(t, key), &tls.Config{ServerName: "www.example.com"}).get(t, "www.example.com", "/"); resp.status != 200 {
		t.Fatalf("HTTPS: %d %s", resp.status, resp.body)
	}

	mustPublish(t, dp, snap(3, plain))
	if n := p.bindCount(key); n != 3 {
		t.Fatalf("socket bound %d times after HTTPS -> HTTP, want 3", n)
	}
	if resp := get(t, client, p.addr(t, key), "www.example.com", "/"); resp.status != 200 {
		t.Fatalf("HTTP again: %d %s", resp.status, resp.body)
	}
}

// TestTLSHandshakeFailures: clients that cannot complete a handshake (cleartext
// HTTP, garbage, ALPN h2 only, TLS 1.1, a server name nobody serves) are closed,
// leave no connection behind, and take nothing down.
func TestTLSHandshakeFailures(t *testing.T) {
	t.Parallel()
	b := startBackend(t, "b")
	p := newPorts()
	dp, _ := startDataPlane(t, p, Options{})
	mustPublish(t, dp, snap(1, httpsListener(1,
		tlsGatewayListener("www", "www.example.com", b, newCertificate(t, ecdsaKey(t), "www.example.com")))))
	key := "127.0.0.1:1"
	addr := p.addr(t, key)

	raw := map[string]string{
		"cleartext HTTP": "GET / HTTP/1.1\r\nHost: www.example.com\r\n\r\n",
		"garbage":        "\x16\x03\x01\x00\x05hello, not a client hello at all\r\n\r\n",
	}
	for name, payload := range raw {
		conn, err := net.DialTimeout("tcp", addr, testTimeout)
		if err != nil {
			t.Fatal(err)
		}
		_ = conn.SetDeadline(time.Now().Add(testTimeout))
		if _, err := conn.Write([]byte(payload)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		reply, _ := readAll(conn)
		if strings.Contains(reply, "HTTP/1.1") {
			t.Errorf("%s: answered in cleartext: %q", name, reply)
		}
		_ = conn.Close()
	}
	for name, config := range map[string]*tls.Config{
		"h2 only":         {ServerName: "www.example.com", NextProtos: []string{"h2"}},
		"TLS 1.1":         {ServerName: "www.example.com", MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11},
		"unknown SNI":     {ServerName: "other.test"},
		"unknown SNI, h1": {ServerName: "other.test", NextProtos: []string{"http/1.1"}},
	} {
		if _, err := dialTLS(t, addr, config); err == nil {
			t.Errorf("%s: handshake succeeded", name)
		}
	}

	c := mustDialTLS(t, addr, &tls.Config{ServerName: "www.example.com", NextProtos: []string{"h2", "http/1.1"}})
	if proto := c.conn.ConnectionState().NegotiatedProtocol; proto != "http/1.1" {
		t.Errorf("ALPN negotiated %q, want http/1.1", proto)
	}
	if resp := c.get(t, "www.example.com", "/"); resp.status != 200 {
		t.Fatalf("after the failed handshakes: %d %s", resp.status, resp.body)
	}
	_ = c.conn.Close()
	waitForConnections(t, dp, key, 0)
}

// readAll reads until the peer closes or the deadline passes.
func readAll(conn net.Conn) (string, error) {
	var sb strings.Builder
	buf := make([]byte, 512)
	for {
		n, err := conn.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			return sb.String(), err
		}
	}
}

// TestTLSWebSocket: an upgrade over TLS is tunnelled like a cleartext one, and
// the backend learns the client used https.
func TestTLSWebSocket(t *testing.T) {
	t.Parallel()
	backend, handshakes := startWebSocketBackend(t, "ws")
	p := newPorts()
	dp, _ := startDataPlane(t, p, Options{})
	mustPublish(t, dp, snap(1, httpsListener(1,
		tlsGatewayListener("ws", "", backend, newCertificate(t, ecdsaKey(t), "ws.example.com")))))

	dialer := websocket.Dialer{HandshakeTimeout: testTimeout,
		TLSClientConfig: &tls.Config{ServerName: "ws.example.com", InsecureSkipVerify: true}}
	conn, _, err := dialer.Dial("wss://"+p.addr(t, "127.0.0.1:1")+"/chat", nil)
	if err != nil {
		t.Fatalf("WebSocket over TLS: %v", err)
	}
	defer conn.Close()
	if got := echo(t, conn, "hi"); got != "ws: hi" {
		t.Fatalf("echo = %q", got)
	}
	if proto := (<-handshakes).Get("X-Forwarded-Proto"); proto != "https" {
		t.Errorf("backend got X-Forwarded-Proto %q, want https", proto)
	}
}
