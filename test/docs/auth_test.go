package docs

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

var authExamplesDir = filepath.Join("..", "..", "examples", "auth")

// echoed is what the echo backend saw of a request.
type echoed struct {
	URI    string              `json:"uri"`
	Header map[string][]string `json:"header"`
}

// startEchoBackend answers every request with what it received, so a test can
// check what the gateway forwarded (credentials stripped, identity headers set).
func startEchoBackend(t *testing.T) int32 {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(echoed{URI: r.RequestURI, Header: r.Header})
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return int32(ln.Addr().(*net.TCPAddr).Port)
}

// exchange is one request through the gateway and what came of it.
type exchange struct {
	status  int
	header  http.Header
	body    []byte
	forward echoed // what the backend saw, when the request got through
}

func do(t *testing.T, client *http.Client, method, url string, header map[string]string) exchange {
	t.Helper()
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
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	ex := exchange{status: resp.StatusCode, header: resp.Header, body: body}
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, &ex.forward); err != nil {
			t.Fatalf("%s %s: the backend's answer is not the echo: %v: %s", method, url, err, body)
		}
	}
	return ex
}

// problemType reads the type of a problem+json answer, failing if it is not one.
func (ex exchange) problemType(t *testing.T) string {
	t.Helper()
	if got := ex.header.Get("Content-Type"); got != "application/problem+json" {
		t.Fatalf("status %d answered with %q, want application/problem+json: %s", ex.status, got, ex.body)
	}
	var p struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(ex.body, &p); err != nil {
		t.Fatalf("problem body: %v: %s", err, ex.body)
	}
	return p.Type
}

func (ex exchange) want(t *testing.T, what string, status int, problem string) {
	t.Helper()
	if ex.status != status {
		t.Fatalf("%s: status %d, want %d: %s", what, ex.status, status, ex.body)
	}
	if problem != "" {
		if got := ex.problemType(t); got != "https://turnpike.dev/problems/"+problem {
			t.Errorf("%s: problem type %q, want %s", what, got, problem)
		}
	}
}

func serveAuthExample(t *testing.T, example string, edit func(*snapshot.Snapshot)) string {
	t.Helper()
	snap, report := compileExample(t, filepath.Join(authExamplesDir, example))
	for key, res := range report.AuthPolicies {
		for _, c := range res.Conditions {
			if c.Type == "Accepted" && c.Status != "True" {
				t.Fatalf("AuthPolicy %s is not accepted: %s", key, c.Message)
			}
		}
	}
	if edit != nil {
		edit(snap)
	}
	return serveSnapshot(t, snap, startEchoBackend(t))
}

func TestAuthExampleAPIKey(t *testing.T) {
	t.Parallel()
	base := "http://" + serveAuthExample(t, "api-key", nil)
	client := &http.Client{Timeout: 10 * time.Second}

	missing := do(t, client, "GET", base+"/", nil)
	missing.want(t, "no key", 401, "credential-missing")
	if got := missing.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "APIKEY") {
		t.Errorf("no key: WWW-Authenticate %q does not name the APIKEY scheme", got)
	}
	do(t, client, "GET", base+"/", map[string]string{"Authorization": "APIKEY wrong"}).want(t, "wrong key", 401, "credential-invalid")

	ok := do(t, client, "GET", base+"/", map[string]string{"Authorization": "APIKEY ndyBzreUzF4zqDQsqSPMHkRhriEOtcRx"})
	ok.want(t, "alice's key", 200, "")
	if got := ok.forward.Header["X-Api-Client"]; len(got) != 1 || got[0] != "alice" {
		t.Errorf("the backend saw X-Api-Client %q, want alice", got)
	}
	if got := ok.forward.Header["Authorization"]; len(got) != 0 {
		t.Errorf("the key reached the backend: Authorization %q", got)
	}
}

func TestAuthExampleGatewayDefault(t *testing.T) {
	t.Parallel()
	base := "http://" + serveAuthExample(t, "gateway-default", nil)
	client := &http.Client{Timeout: 10 * time.Second}
	do(t, client, "GET", base+"/public/status", nil).want(t, "public path", 200, "")
	do(t, client, "GET", base+"/orders", nil).want(t, "orders without a key", 401, "credential-missing")
	ok := do(t, client, "GET", base+"/orders", map[string]string{"X-Api-Key": "3Qx4QeTJmYqbVwS0m2Wsh7kGJ8uo1Fzd"})
	ok.want(t, "orders with a key", 200, "")
	if got := ok.forward.Header["X-Api-Key"]; len(got) != 0 {
		t.Errorf("the key reached the backend: X-Api-Key %q", got)
	}
}

func TestAuthExamplePerUserRateLimit(t *testing.T) {
	t.Parallel()
	base := "http://" + serveAuthExample(t, "per-user-ratelimit", nil)
	client := &http.Client{Timeout: 10 * time.Second}
	// 3 per 10 s per client: a burst on loopback falls in one window.
	carol := map[string]string{"Authorization": "APIKEY carol-4b1dQeV2"}
	for i := range 3 {
		do(t, client, "GET", base+"/", carol).want(t, "carol's request "+string(rune('1'+i)), 200, "")
	}
	refused := do(t, client, "GET", base+"/", carol)
	refused.want(t, "carol's fourth request", 429, "rate-limited")
	do(t, client, "GET", base+"/", map[string]string{"Authorization": "APIKEY dave-9TnQk27x"}).want(t, "dave has his own counter", 200, "")
	// Unauthenticated requests are refused before they count against anyone.
	do(t, client, "GET", base+"/", nil).want(t, "no key", 401, "credential-missing")
}

func TestAuthExampleJWTRole(t *testing.T) {
	t.Parallel()
	issuer := startIssuer(t)
	base := "http://" + serveAuthExample(t, "jwt-role", func(snap *snapshot.Snapshot) {
		forEachAuthenticator(snap, func(a *snapshot.Authenticator) {
			if a.JWT != nil {
				a.JWT.IssuerURL = issuer.url
			}
		})
	})
	client := &http.Client{Timeout: 10 * time.Second}
	bearer := func(token string) map[string]string { return map[string]string{"Authorization": "Bearer " + token} }

	missing := do(t, client, "GET", base+"/toys", nil)
	missing.want(t, "no token", 401, "credential-missing")
	if got := missing.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
		t.Errorf("no token: WWW-Authenticate %q does not name the Bearer scheme", got)
	}

	now := time.Now()
	reader := issuer.sign(t, map[string]any{"sub": "u-1", "aud": "toystore", "exp": now.Add(time.Hour).Unix(),
		"realm_access": map[string]any{"roles": []string{"reader"}}})
	admin := issuer.sign(t, map[string]any{"sub": "u-2", "aud": "toystore", "exp": now.Add(time.Hour).Unix(),
		"realm_access": map[string]any{"roles": []string{"reader", "admin"}}})
	expired := issuer.sign(t, map[string]any{"sub": "u-1", "aud": "toystore", "exp": now.Add(-time.Hour).Unix()})
	otherAudience := issuer.sign(t, map[string]any{"sub": "u-1", "aud": "billing", "exp": now.Add(time.Hour).Unix()})

	// The key set is fetched in the background: the first requests may find it
	// not loaded yet (503, auth-unavailable); wait until it is.
	waitFor(t, func() bool { return do(t, client, "GET", base+"/toys", bearer(reader)).status == 200 })

	ok := do(t, client, "GET", base+"/toys", bearer(reader))
	ok.want(t, "reader reads", 200, "")
	if got := ok.forward.Header["X-User-Id"]; len(got) != 1 || got[0] != "u-1" {
		t.Errorf("the backend saw X-User-Id %q, want u-1", got)
	}
	if len(ok.forward.Header["Authorization"]) != 0 {
		t.Error("the token reached the backend")
	}
	do(t, client, "POST", base+"/toys", bearer(reader)).want(t, "reader writes", 403, "forbidden")
	do(t, client, "POST", base+"/toys", bearer(admin)).want(t, "admin writes", 200, "")

	exp := do(t, client, "GET", base+"/toys", bearer(expired))
	exp.want(t, "expired token", 401, "credential-expired")
	if got := exp.header.Get("WWW-Authenticate"); !strings.Contains(got, `error="invalid_token"`) || !strings.Contains(got, "expired") {
		t.Errorf("expired token: WWW-Authenticate %q should say invalid_token and that it expired", got)
	}
	if strings.Contains(string(exp.body), expired) {
		t.Error("the problem body repeats the token")
	}
	do(t, client, "GET", base+"/toys", bearer(otherAudience)).want(t, "wrong audience", 401, "credential-invalid")
	do(t, client, "GET", base+"/toys", bearer("not.a.token")).want(t, "garbage", 401, "credential-invalid")
}

func TestAuthExampleMTLSListener(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(authExamplesDir, "mtls-listener")
	address := serveAuthExample(t, "mtls-listener", nil)
	_, port, err := net.SplitHostPort(address)
	if err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile(filepath.Join(dir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		t.Fatal("ca.crt holds no certificate")
	}
	clientCert, err := tls.LoadX509KeyPair(filepath.Join(dir, "client.crt"), filepath.Join(dir, "client.key"))
	if err != nil {
		t.Fatal(err)
	}
	url := "https://localhost:" + port + "/"
	newClient := func(certs ...tls.Certificate) *http.Client {
		var dialer net.Dialer
		return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: certs, MinVersion: tls.VersionTLS12},
			// "localhost" (the name on the example's certificate) is the
			// example's socket, wherever the test bound it.
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return dialer.DialContext(ctx, network, address)
			},
		}}
	}

	do(t, newClient(), "GET", url, nil).want(t, "no client certificate", 401, "credential-missing")
	ok := do(t, newClient(clientCert), "GET", url, nil)
	ok.want(t, "alice's certificate", 200, "")
	if got := ok.forward.Header["X-Client-Subject"]; len(got) != 1 || !strings.Contains(got[0], "CN=alice") {
		t.Errorf("the backend saw X-Client-Subject %q, want alice's subject", got)
	}
	if got := ok.forward.Header["X-Forwarded-Proto"]; len(got) != 1 || got[0] != "https" {
		t.Errorf("the backend saw X-Forwarded-Proto %q, want https", got)
	}
	// A certificate from another CA is refused, not just ignored.
	do(t, newClient(selfSignedClient(t)), "GET", url, nil).want(t, "untrusted certificate", 401, "credential-invalid")
}
