package server

import (
	"bufio"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// newCertificate makes a self-signed certificate whose common name is its first
// DNS name, with Leaf set as the compiler sets it. The tests check which
// certificate a handshake presents, not the PKI, so clients skip verification.
func newCertificate(t testing.TB, key crypto.Signer, dnsNames ...string) *tls.Certificate {
	t.Helper()
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	template := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: dnsNames[0]},
		DNSNames:     dnsNames,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

func ecdsaKey(t testing.TB) crypto.Signer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func rsaKey(t testing.TB) crypto.Signer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// httpsListener is an HTTPS snapshot socket "127.0.0.1:<n>" with the given
// Gateway listeners, which must come most specific first.
func httpsListener(n int32, listeners ...*snapshot.GatewayListener) *snapshot.Listener {
	return &snapshot.Listener{Address: "127.0.0.1", Port: n, Protocol: snapshot.ProtocolHTTPS, GatewayListeners: listeners}
}

// tlsGatewayListener serves every path of hostname with one route to b.
func tlsGatewayListener(name, hostname string, b *backendServer, certs ...*tls.Certificate) *snapshot.GatewayListener {
	return &snapshot.GatewayListener{
		Gateway: "ns/gw", Name: name, Hostname: hostname, Certificates: certs,
		VirtualHosts: []*snapshot.VirtualHost{{Routes: []*snapshot.Route{
			routeTo(name, prefixPath("/"), ref("ns/"+b.name+":80", 1, b)),
		}}},
	}
}

// tlsClient is one client connection driven by hand.
type tlsClient struct {
	conn *tls.Conn
	br   *bufio.Reader
}

// dialTLS completes a handshake with config (InsecureSkipVerify is added) and
// returns the connection, or the handshake's error.
func dialTLS(t *testing.T, addr string, config *tls.Config) (*tlsClient, error) {
	t.Helper()
	config = config.Clone()
	config.InsecureSkipVerify = true
	dialer := &tls.Dialer{NetDialer: &net.Dialer{Timeout: testTimeout}, Config: config}
	conn, err := dialer.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = conn.Close() })
	tc := conn.(*tls.Conn)
	return &tlsClient{conn: tc, br: bufio.NewReader(tc)}, nil
}

func mustDialTLS(t *testing.T, addr string, config *tls.Config) *tlsClient {
	t.Helper()
	c, err := dialTLS(t, addr, config)
	if err != nil {
		t.Fatalf("TLS handshake with %s (server name %q): %v", addr, config.ServerName, err)
	}
	return c
}

// servedName is the common name of the certificate the server presented.
func (c *tlsClient) servedName() string {
	return c.conn.ConnectionState().PeerCertificates[0].Subject.CommonName
}

// get sends one keep-alive request for host and reads the whole response.
func (c *tlsClient) get(t *testing.T, host, path string) response {
	t.Helper()
	_ = c.conn.SetDeadline(time.Now().Add(testTimeout))
	if _, err := fmt.Fprintf(c.conn, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, host); err != nil {
		t.Fatalf("writing the request for %s%s: %v", host, path, err)
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		t.Fatalf("reading the response for %s%s: %v", host, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the body for %s%s: %v", host, path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(body), backend: resp.Header.Get("X-Backend")}
}

// openConnections counts the client connections the socket behind key tracks.
func openConnections(dp *DataPlane, key string) int {
	dp.mu.Lock()
	s := dp.sockets[key]
	dp.mu.Unlock()
	if s == nil {
		return 0
	}
	s.conns.mu.Lock()
	defer s.conns.mu.Unlock()
	return len(s.conns.conns)
}

// waitForConnections waits until the socket tracks want connections; the
// deadline only keeps a broken test from hanging.
func waitForConnections(t *testing.T, dp *DataPlane, key string, want int) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for openConnections(dp, key) != want {
		if time.Now().After(deadline) {
			t.Fatalf("socket %s tracks %d connections, want %d", key, openConnections(dp, key), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
