package auth

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

const (
	introspectionClient = "gateway"
	// The secret has characters that RFC 6749 section 2.3.1 form-encodes.
	introspectionSecret = "s3cret:with%odd&chars"
)

// introspectionServer is an RFC 7662 endpoint on a loopback socket.
type introspectionServer struct {
	srv   *httptest.Server
	calls atomic.Int64

	mu      sync.Mutex
	answers map[string]map[string]any // by token
	status  int                       // when not 0, every call answers it
	hints   []string
}

func newIntrospectionServer(t *testing.T) *introspectionServer {
	t.Helper()
	s := &introspectionServer{answers: map[string]map[string]any{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		s.calls.Add(1)
		id, secret, hasAuth := req.BasicAuth()
		decodedID, _ := url.QueryUnescape(id)
		decodedSecret, _ := url.QueryUnescape(secret)
		if req.Method != http.MethodPost || !hasAuth || decodedID != introspectionClient || decodedSecret != introspectionSecret {
			http.Error(w, "unauthorized client", http.StatusUnauthorized)
			return
		}
		if err := req.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.hints = append(s.hints, req.PostForm.Get("token_type_hint"))
		if s.status != 0 {
			w.WriteHeader(s.status)
			return
		}
		answer, known := s.answers[req.PostForm.Get("token")]
		if !known {
			answer = map[string]any{"active": false}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(answer)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *introspectionServer) set(token string, answer map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers[token] = answer
}

func (s *introspectionServer) fail(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status = status
}

func introspectionAuth(endpoint string, ttl time.Duration) *snapshot.Auth {
	return &snapshot.Auth{Authentication: []*snapshot.Authenticator{{
		AuthRule: authRule("shop/opaque", "introspect"), Credentials: bearerCredentials(),
		Introspection: &snapshot.IntrospectionAuth{
			Endpoint: endpoint, ClientID: introspectionClient, ClientSecret: introspectionSecret,
			CredentialsSecret: "shop/introspection", TokenTypeHint: "access_token", CacheTTL: ttl,
		},
	}}}
}

func TestIntrospection(t *testing.T) {
	t.Parallel()
	clk := newClock()
	r := newRuntime(t, clk)
	s := newIntrospectionServer(t)
	exp := clk.Now().Add(time.Hour).Unix()
	s.set("opaque-active-token", map[string]any{"active": true, "sub": "alice", "scope": "read:toys", "exp": exp})
	s.set("opaque-revoked-token", map[string]any{"active": false})
	plan := r.Plan(introspectionAuth(s.srv.URL, 0))

	o := decide(t, plan, newRequest().withBearer("opaque-active-token"))
	o.wantAllowed(t)
	want := map[string]any{"active": true, "sub": "alice", "scope": "read:toys", "exp": exp}
	if diff := cmp.Diff(want, o.identity); diff != "" {
		t.Errorf("identity (-want +got):\n%s", diff)
	}

	for _, token := range []string{"opaque-revoked-token", "opaque-unknown-token"} {
		o = decide(t, plan, newRequest().withBearer(token))
		o.wantRefused(t, 401, "credential-invalid")
		assertNoLeak(t, o, token)
		wantChallenge := `Bearer realm="shop/opaque/introspect", error="invalid_token", error_description="The token is not active."`
		if diff := cmp.Diff([]string{wantChallenge}, o.headers("WWW-Authenticate")); diff != "" {
			t.Errorf("WWW-Authenticate (-want +got):\n%s", diff)
		}
	}
	// Without a cache every request asks.
	decide(t, plan, newRequest().withBearer("opaque-active-token")).wantAllowed(t)
	if n := s.calls.Load(); n != 4 {
		t.Errorf("%d calls, want 4", n)
	}
	s.mu.Lock()
	if s.hints[0] != "access_token" {
		t.Errorf("token_type_hint %q, want access_token", s.hints[0])
	}
	s.mu.Unlock()

	// An active answer whose exp has passed is an expired token.
	s.set("opaque-stale-token", map[string]any{"active": true, "exp": clk.Now().Add(-time.Minute).Unix()})
	decide(t, plan, newRequest().withBearer("opaque-stale-token")).wantRefused(t, 401, "credential-expired")
}

func TestIntrospectionCache(t *testing.T) {
	t.Parallel()
	clk := newClock()
	r := newRuntime(t, clk)
	s := newIntrospectionServer(t)
	s.set("short-lived-token", map[string]any{"active": true, "exp": clk.Now().Add(30 * time.Second).Unix()})
	s.set("long-lived-token", map[string]any{"active": true, "exp": clk.Now().Add(time.Hour).Unix()})
	plan := r.Plan(introspectionAuth(s.srv.URL, time.Minute))

	for range 3 {
		decide(t, plan, newRequest().withBearer("long-lived-token")).wantAllowed(t)
		decide(t, plan, newRequest().withBearer("short-lived-token")).wantAllowed(t)
		decide(t, plan, newRequest().withBearer("never-issued-token")).wantRefused(t, 401, "credential-invalid")
	}
	if n := s.calls.Load(); n != 3 {
		t.Fatalf("%d calls for three tokens asked three times each, want 3 (cached)", n)
	}

	// Past the short token's exp (but within the TTL) its answer is not used.
	clk.Advance(31 * time.Second)
	decide(t, plan, newRequest().withBearer("short-lived-token")).wantRefused(t, 401, "credential-expired")
	decide(t, plan, newRequest().withBearer("long-lived-token")).wantAllowed(t)
	if n := s.calls.Load(); n != 4 {
		t.Errorf("%d calls, want 4: only the expired token is asked again", n)
	}
	// Past the TTL the endpoint is asked again (the token may be revoked).
	s.set("long-lived-token", map[string]any{"active": false})
	clk.Advance(30 * time.Second)
	decide(t, plan, newRequest().withBearer("long-lived-token")).wantRefused(t, 401, "credential-invalid")
}

func TestIntrospectionUnavailable(t *testing.T) {
	t.Parallel()
	clk := newClock()
	r := newRuntime(t, clk, func(o *RuntimeOptions) { o.UnavailableRetryAfter = 7 * time.Second })

	failing := newIntrospectionServer(t)
	failing.fail(http.StatusBadGateway)
	closed := newIntrospectionServer(t)
	closed.srv.Close()
	wrongClient := newIntrospectionServer(t)
	notJSON := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("<html>")) }))
	t.Cleanup(notJSON.Close)

	for name, auth := range map[string]*snapshot.Auth{
		"5xx":          introspectionAuth(failing.srv.URL, time.Minute),
		"unreachable":  introspectionAuth(closed.srv.URL, time.Minute),
		"wrong client": withClientSecret(introspectionAuth(wrongClient.srv.URL, time.Minute), "not-the-secret"),
		"not JSON":     introspectionAuth(notJSON.URL, time.Minute),
	} {
		t.Run(name, func(t *testing.T) {
			plan := r.Plan(auth)
			o := decide(t, plan, newRequest().withBearer("opaque-active-token"))
			o.wantRefused(t, 503, "auth-unavailable")
			if diff := cmp.Diff([]string{"7"}, o.headers("Retry-After")); diff != "" {
				t.Errorf("Retry-After (-want +got):\n%s", diff)
			}
			assertNoLeak(t, o, "opaque-active-token")
		})
	}
	if n := failing.calls.Load(); n != 1 {
		t.Errorf("the failing endpoint was called %d times, want 1", n)
	}
}

func withClientSecret(a *snapshot.Auth, secret string) *snapshot.Auth {
	a.Authentication[0].Introspection.ClientSecret = secret
	return a
}
