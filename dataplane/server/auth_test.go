package server

import (
	"net/http"
	"testing"
	"time"

	"github.com/turnpike-gateway/turnpike/dataplane/problem"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// apiKeyAuth is an AuthPolicy rule set accepting "Authorization: APIKEY <key>"
// for each key, whose identity's metadata.name is the key's owner.
func apiKeyAuth(owners map[string]string) *snapshot.Auth {
	keys := map[snapshot.APIKeyDigest]*snapshot.APIKeyIdentity{}
	for key, owner := range owners {
		keys[snapshot.DigestAPIKey([]byte(key))] = &snapshot.APIKeyIdentity{
			Secret:   "ns/" + owner,
			Identity: map[string]any{"metadata": map[string]any{"name": owner, "namespace": "ns"}},
		}
	}
	return &snapshot.Auth{
		Authentication: []*snapshot.Authenticator{{
			AuthRule:    snapshot.AuthRule{Policy: "ns/ap", Name: "keys"},
			Credentials: snapshot.Credentials{Source: snapshot.CredentialAuthorizationHeader, Name: "Authorization", Prefix: "APIKEY"},
			APIKey:      &snapshot.APIKeyAuth{Keys: keys},
		}},
	}
}

func TestAuthDeniesBeforeAnythingElse(t *testing.T) {
	t.Parallel()
	p := newPorts()
	backend, reached := countingBackend(t)
	route := limitedRoute(backend, rateLimit(t, "l", "uid/l", 1000, time.Hour))
	route.Auth = apiKeyAuth(map[string]string{"k-alice": "alice"})
	dp, _ := startDataPlane(t, p, Options{})
	mustPublish(t, dp, snap(1, listener(1, route)))
	c, addr := newHTTPClient(t), p.addr(t, "127.0.0.1:1")

	for _, tc := range []struct {
		name, authorization string
		status              int
		problem             *problem.Problem
	}{
		{"no credentials", "", http.StatusUnauthorized, problem.CredentialMissing},
		{"unknown key", "APIKEY k-mallory", http.StatusUnauthorized, problem.CredentialInvalid},
		{"other scheme", "Basic YTpi", http.StatusUnauthorized, problem.CredentialMissing},
	} {
		var headers []string
		if tc.authorization != "" {
			headers = []string{"Authorization", tc.authorization}
		}
		resp := get(t, c, addr, "a.test", "/", headers...)
		if resp.status != tc.status || !jsonHasType(resp.body, tc.problem.Type) {
			t.Errorf("%s: status %d %s, want %d %s", tc.name, resp.status, resp.body, tc.status, tc.problem.Type)
		}
		if resp.header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: no WWW-Authenticate", tc.name)
		}
		if resp.header.Get("RateLimit") != "" {
			t.Errorf("%s: a denied request was counted against the rate limit", tc.name)
		}
	}
	if n := reached.Load(); n != 0 {
		t.Errorf("the backend saw %d denied requests", n)
	}

	resp := get(t, c, addr, "a.test", "/", "Authorization", "APIKEY k-alice")
	if resp.status != 200 {
		t.Fatalf("alice: status %d: %s", resp.status, resp.body)
	}
	if got := resp.header.Get("RateLimit"); got == "" {
		t.Error("an admitted request carries no RateLimit header")
	}
	if dp.AuthDecisions() == nil {
		t.Error("no auth decision was counted")
	}
}

func TestAuthStripsCredentialsAndPassesIdentity(t *testing.T) {
	t.Parallel()
	p := newPorts()
	backend := startBackend(t, "echo")
	route := routeTo("r", prefixPath("/"), ref("ns/echo:80", 1, backend))
	route.Auth = apiKeyAuth(map[string]string{"k-alice": "alice"})
	route.Auth.SuccessHeaders = []*snapshot.SuccessHeader{{
		Policy: "ns/ap", Name: "X-User", Plain: &snapshot.Value{Expression: mustCompile(t, "auth.identity.metadata.name")},
	}}
	dp, _ := startDataPlane(t, p, Options{})
	mustPublish(t, dp, snap(1, listener(1, route)))
	c, addr := newHTTPClient(t), p.addr(t, "127.0.0.1:1")

	// A client's own X-User is replaced, never trusted.
	resp := get(t, c, addr, "a.test", "/", "Authorization", "APIKEY k-alice", "X-User", "root")
	if resp.status != 200 {
		t.Fatalf("status %d: %s", resp.status, resp.body)
	}
	if got, ok := receivedHeader(resp.body, "X-User"); !ok || got != "alice" {
		t.Errorf("the backend saw X-User %q (%v), want alice", got, ok)
	}
	if got, ok := receivedHeader(resp.body, "Authorization"); ok {
		t.Errorf("the key reached the backend: Authorization %q", got)
	}
}

func TestRateLimitCountsPerAuthenticatedIdentity(t *testing.T) {
	t.Parallel()
	p := newPorts()
	backend, _ := countingBackend(t)
	route := limitedRoute(backend, rateLimit(t, "per-user", "uid/per-user", 2, time.Hour, "auth.identity.metadata.name"))
	route.Auth = apiKeyAuth(map[string]string{"k-alice": "alice", "k-alice-2": "alice", "k-bob": "bob"})
	dp, _ := startDataPlane(t, p, Options{})
	mustPublish(t, dp, snap(1, listener(1, route)))
	c, addr := newHTTPClient(t), p.addr(t, "127.0.0.1:1")

	// alice's two keys share her counter: it is the identity that counts.
	for i, key := range []string{"k-alice", "k-alice-2", "k-alice", "k-bob"} {
		want := []int{200, 200, 429, 200}[i]
		if resp := get(t, c, addr, "a.test", "/", "Authorization", "APIKEY "+key); resp.status != want {
			t.Errorf("request %d with %s: status %d, want %d", i, key, resp.status, want)
		}
	}
}
