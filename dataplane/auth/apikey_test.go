package auth

import (
	"net/textproto"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

const keyPolicy = "shop/keys"

// apiKeys is an API-key table with one key per user.
func apiKeys(users ...string) *snapshot.APIKeyAuth {
	a := &snapshot.APIKeyAuth{Keys: map[snapshot.APIKeyDigest]*snapshot.APIKeyIdentity{}}
	for _, user := range users {
		secret := "shop/key-" + user
		a.Keys[snapshot.DigestAPIKey([]byte("key-of-"+user))] = &snapshot.APIKeyIdentity{
			Secret: secret,
			Identity: map[string]any{"metadata": map[string]any{
				"name": "key-" + user, "namespace": "shop", "labels": map[string]any{"user": user},
			}},
		}
		a.Secrets = append(a.Secrets, secret)
	}
	return a
}

func apiKeyAuthenticator(name string, creds snapshot.Credentials) *snapshot.Authenticator {
	return &snapshot.Authenticator{AuthRule: authRule(keyPolicy, name), Credentials: creds, APIKey: apiKeys("alice", "bob")}
}

func TestAPIKeySources(t *testing.T) {
	t.Parallel()
	r := newRuntime(t, newClock())
	tests := []struct {
		name      string
		creds     snapshot.Credentials
		with      func(*fakeRequest, string) *fakeRequest
		challenge string
		strip     func(*fakeUpstream) []string
	}{
		{
			name:      "authorization header",
			creds:     snapshot.Credentials{Source: snapshot.CredentialAuthorizationHeader, Name: "Authorization", Prefix: "APIKEY"},
			with:      func(r *fakeRequest, key string) *fakeRequest { return r.withHeader("Authorization", "APIKEY "+key) },
			challenge: `APIKEY realm="shop/keys/main"`,
			strip:     func(u *fakeUpstream) []string { return u.delHeaders },
		},
		{
			name:      "custom header",
			creds:     snapshot.Credentials{Source: snapshot.CredentialCustomHeader, Name: "x-api-key"},
			with:      func(r *fakeRequest, key string) *fakeRequest { return r.withHeader("X-Api-Key", key) },
			challenge: `APIKey realm="shop/keys/main", header="X-Api-Key"`,
			strip:     func(u *fakeUpstream) []string { return u.delHeaders },
		},
		{
			name:      "query string",
			creds:     snapshot.Credentials{Source: snapshot.CredentialQueryString, Name: "api_key"},
			with:      func(r *fakeRequest, key string) *fakeRequest { return r.withQuery("api_key", key) },
			challenge: `APIKey realm="shop/keys/main", query="api_key"`,
			strip:     func(u *fakeUpstream) []string { return u.delArgs },
		},
		{
			name:      "cookie",
			creds:     snapshot.Credentials{Source: snapshot.CredentialCookie, Name: "session"},
			with:      func(r *fakeRequest, key string) *fakeRequest { return r.withCookie("session", key) },
			challenge: `APIKey realm="shop/keys/main", cookie="session"`,
			strip:     func(u *fakeUpstream) []string { return u.delCookies },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			plan := r.Plan(&snapshot.Auth{Authentication: []*snapshot.Authenticator{apiKeyAuthenticator("main", tt.creds)}})
			if err := plan.Err(); err != nil {
				t.Fatal(err)
			}

			hit := decide(t, plan, tt.with(newRequest(), "key-of-alice"))
			hit.wantAllowed(t)
			name := hit.identity["metadata"].(map[string]any)["name"]
			if name != "key-alice" {
				t.Errorf("identity names %v, want key-alice", name)
			}
			stripped := tt.creds.Name
			if tt.creds.Source == snapshot.CredentialCustomHeader {
				stripped = textproto.CanonicalMIMEHeaderKey(stripped)
			}
			if diff := cmp.Diff([]string{stripped}, tt.strip(hit.up)); diff != "" {
				t.Errorf("stripped (-want +got):\n%s", diff)
			}

			miss := decide(t, plan, tt.with(newRequest(), "key-of-mallory"))
			miss.wantRefused(t, 401, "credential-invalid")
			want := []string{tt.challenge + `, error="invalid_key", error_description="The API key is not valid."`}
			if diff := cmp.Diff(want, miss.headers("WWW-Authenticate")); diff != "" {
				t.Errorf("WWW-Authenticate of a wrong key (-want +got):\n%s", diff)
			}
			assertNoLeak(t, miss, "key-of-mallory")

			none := decide(t, plan, newRequest())
			none.wantRefused(t, 401, "credential-missing")
			if diff := cmp.Diff([]string{tt.challenge}, none.headers("WWW-Authenticate")); diff != "" {
				t.Errorf("WWW-Authenticate without a key (-want +got):\n%s", diff)
			}
			empty := decide(t, plan, tt.with(newRequest(), ""))
			empty.wantRefused(t, 401, "credential-missing")
		})
	}
}

// TestCredentialsOfEveryAuthenticatorInScopeAreStripped: the backend sees
// none of the credentials a policy consumes, whichever authenticator let the
// request in, unless a rule forwards them; an Authorization header of another
// scheme is the backend's own and stays.
func TestCredentialsOfEveryAuthenticatorInScopeAreStripped(t *testing.T) {
	t.Parallel()
	r := newRuntime(t, newClock())
	forwarded := apiKeyAuthenticator("forwarded", snapshot.Credentials{Source: snapshot.CredentialCookie, Name: "session"})
	forwarded.ForwardCredentials = true
	plan := r.Plan(&snapshot.Auth{Authentication: []*snapshot.Authenticator{
		apiKeyAuthenticator("header", snapshot.Credentials{Source: snapshot.CredentialCustomHeader, Name: "X-Api-Key"}),
		apiKeyAuthenticator("query", snapshot.Credentials{Source: snapshot.CredentialQueryString, Name: "api_key"}),
		apiKeyAuthenticator("bearer", snapshot.Credentials{Source: snapshot.CredentialAuthorizationHeader, Name: "Authorization", Prefix: "APIKEY"}),
		forwarded,
	}})
	req := newRequest().withHeader("X-Api-Key", "key-of-alice").withQuery("api_key", "key-of-bob").
		withCookie("session", "key-of-bob").withHeader("Authorization", "Basic YWxpY2U6c2VjcmV0")
	o := decide(t, plan, req)
	o.wantAllowed(t)
	if o.d.Rule != "shop/keys/header" {
		t.Errorf("decided by %q, want the first authenticator", o.d.Rule)
	}
	if diff := cmp.Diff([]string{"X-Api-Key"}, o.up.delHeaders); diff != "" {
		t.Errorf("headers stripped (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"api_key"}, o.up.delArgs); diff != "" {
		t.Errorf("query parameters stripped (-want +got):\n%s", diff)
	}
	if len(o.up.delCookies) != 0 {
		t.Errorf("forwarded cookie stripped: %v", o.up.delCookies)
	}
	if got := count(r, keyPolicy, "header", outcomeAuthenticated); got != 1 {
		t.Errorf("authenticated counted %d times, want 1", got)
	}
	if got := count(r, keyPolicy, "query", outcomeAuthenticated) + count(r, keyPolicy, "query", outcomeMissing); got != 0 {
		t.Errorf("an authenticator after the one that succeeded was counted %d times", got)
	}
}

// TestFirstSuccessWins: authenticators are tried in order; a refusal by one
// does not stop the next, and the answer names every scheme in scope.
func TestFirstSuccessWins(t *testing.T) {
	t.Parallel()
	r := newRuntime(t, newClock())
	plan := r.Plan(&snapshot.Auth{Authentication: []*snapshot.Authenticator{
		apiKeyAuthenticator("header", snapshot.Credentials{Source: snapshot.CredentialCustomHeader, Name: "X-Api-Key"}),
		apiKeyAuthenticator("query", snapshot.Credentials{Source: snapshot.CredentialQueryString, Name: "api_key"}),
	}})
	o := decide(t, plan, newRequest().withHeader("X-Api-Key", "wrong-key-123").withQuery("api_key", "key-of-bob"))
	o.wantAllowed(t)
	if o.d.Rule != "shop/keys/query" {
		t.Errorf("decided by %q, want shop/keys/query", o.d.Rule)
	}

	o = decide(t, plan, newRequest().withHeader("X-Api-Key", "wrong-key-123"))
	o.wantRefused(t, 401, "credential-invalid")
	want := []string{
		`APIKey realm="shop/keys/header", header="X-Api-Key", error="invalid_key", error_description="The API key is not valid."`,
		`APIKey realm="shop/keys/query", query="api_key"`,
	}
	if diff := cmp.Diff(want, o.headers("WWW-Authenticate")); diff != "" {
		t.Errorf("WWW-Authenticate (-want +got):\n%s", diff)
	}
	if o.d.Rule != "shop/keys/header" {
		t.Errorf("refusal names %q, want the rule that refused the key", o.d.Rule)
	}
	if got := count(r, keyPolicy, "header", outcomeInvalid); got != 2 {
		t.Errorf("credential-invalid counted %d times, want 2", got)
	}
	if got := count(r, keyPolicy, "query", outcomeMissing); got != 1 {
		t.Errorf("credential-missing counted %d times, want 1", got)
	}
}

func TestCredentialTooLarge(t *testing.T) {
	t.Parallel()
	r := newRuntime(t, newClock(), func(o *RuntimeOptions) { o.MaxCredentialBytes = 32 })
	plan := r.Plan(&snapshot.Auth{Authentication: []*snapshot.Authenticator{
		apiKeyAuthenticator("header", snapshot.Credentials{Source: snapshot.CredentialCustomHeader, Name: "X-Api-Key"}),
	}})
	o := decide(t, plan, newRequest().withHeader("X-Api-Key", "key-of-alice-but-far-too-long-to-be-read"))
	o.wantRefused(t, 401, "credential-invalid")
	if got := o.detail(t); got != "The credential is larger than 32 bytes." {
		t.Errorf("detail %q", got)
	}
}
