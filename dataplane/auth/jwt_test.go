package auth

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

const jwtPolicy = "shop/jwt-policy"

// jwtAuth is an AuthPolicy with one JWT rule on the issuer.
func jwtAuth(issuer string, tweak ...func(*snapshot.JWTAuth)) *snapshot.Auth {
	j := &snapshot.JWTAuth{IssuerURL: issuer, Audiences: []string{"toys"}, ClockSkew: 30 * time.Second, RefreshInterval: time.Hour}
	for _, f := range tweak {
		f(j)
	}
	return &snapshot.Auth{Authentication: []*snapshot.Authenticator{{
		AuthRule: authRule(jwtPolicy, "idp"), Credentials: bearerCredentials(), JWT: j,
	}}}
}

func TestJWT(t *testing.T) {
	t.Parallel()
	clk := newClock()
	r := newRuntime(t, clk)
	i := newIDP(t)
	plan := r.Plan(jwtAuth(i.issuer()))
	now := clk.Now().Unix()
	expiry := time.Unix(now-3600, 0).UTC().Format(time.RFC3339)

	tests := []struct {
		name  string
		token string
		// status 0 means allowed.
		status      int
		problem     string
		description string
	}{
		{name: "RS256", token: sign(t, "rsa-1", i.claims(clk, nil))},
		{name: "ES256", token: sign(t, "ec-1", i.claims(clk, nil))},
		{name: "EdDSA", token: sign(t, "ed-1", i.claims(clk, nil))},
		{name: "no kid tries keys of the algorithm", token: signWithoutKid(t, "ec-1", i.claims(clk, nil))},
		{name: "audience list", token: sign(t, "rsa-1", i.claims(clk, map[string]any{"aud": []string{"other", "toys"}}))},
		{name: "expired within the skew", token: sign(t, "rsa-1", i.claims(clk, map[string]any{"exp": now - 10}))},
		{name: "no exp", token: sign(t, "rsa-1", i.claims(clk, map[string]any{"exp": nil}))},
		{name: "expired", token: sign(t, "rsa-1", i.claims(clk, map[string]any{"exp": now - 3600})),
			status: 401, problem: "credential-expired", description: "The token expired at " + expiry + "."},
		{name: "not valid yet", token: sign(t, "rsa-1", i.claims(clk, map[string]any{"nbf": now + 120})),
			status: 401, problem: "credential-invalid", description: "The token is not valid yet."},
		{name: "issued in the future", token: sign(t, "rsa-1", i.claims(clk, map[string]any{"iat": now + 120})),
			status: 401, problem: "credential-invalid", description: "The token was issued in the future."},
		{name: "wrong audience", token: sign(t, "rsa-1", i.claims(clk, map[string]any{"aud": "pets"})),
			status: 401, problem: "credential-invalid", description: "The token is not meant for this audience."},
		{name: "no audience", token: sign(t, "rsa-1", i.claims(clk, map[string]any{"aud": nil})),
			status: 401, problem: "credential-invalid", description: "The token is not meant for this audience."},
		{name: "wrong issuer", token: sign(t, "rsa-1", i.claims(clk, map[string]any{"iss": "https://evil.example"})),
			status: 401, problem: "credential-invalid", description: "The token was issued by an issuer this route does not trust."},
		{name: "alg none", token: unsignedToken(t, i.claims(clk, nil)),
			status: 401, problem: "credential-invalid", description: "The token is signed with an algorithm that is not accepted; use RS256, PS256, ES256, EdDSA or a stronger variant."},
		{name: "HS256 with the public key", token: hmacWithPublicKey(t, i.claims(clk, nil)),
			status: 401, problem: "credential-invalid", description: "The token is signed with an algorithm that is not accepted; use RS256, PS256, ES256, EdDSA or a stronger variant."},
		{name: "unpublished key", token: sign(t, "rsa-2", i.claims(clk, nil)),
			status: 401, problem: "credential-invalid", description: "The token is signed with a key the issuer does not publish."},
		{name: "tampered claims", token: tamper(sign(t, "rsa-1", i.claims(clk, nil))),
			status: 401, problem: "credential-invalid", description: "The token's signature is not valid."},
		{name: "claims not an object", token: sign(t, "rsa-1", nil),
			status: 401, problem: "credential-invalid", description: "The token's claims are not a valid JWT claims set."},
		{name: "exp not a number", token: sign(t, "rsa-1", i.claims(clk, map[string]any{"exp": "tomorrow"})),
			status: 401, problem: "credential-invalid", description: "The token's claims are not a valid JWT claims set."},
		{name: "oversize", token: sign(t, "rsa-1", i.claims(clk, map[string]any{"pad": strings.Repeat("x", 17<<10)})),
			status: 401, problem: "credential-invalid", description: "The credential is larger than 16384 bytes."},
		{name: "garbage", token: "this-is-not-a-jwt-at-all",
			status: 401, problem: "credential-invalid", description: "The token is not a signed JWT in compact serialization."},
		{name: "garbage with dots", token: "eyJhbGciOiJSUzI1NiJ9.%%%%.@@@@",
			status: 401, problem: "credential-invalid", description: "The token is not a signed JWT in compact serialization."},
		{name: "binary", token: "\x01\x02\xff\xfe\x80garbage\x7f",
			status: 401, problem: "credential-invalid", description: "The token is not a signed JWT in compact serialization."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := decide(t, plan, newRequest().withBearer(tt.token))
			if tt.status == 0 {
				o.wantAllowed(t)
				if o.identity["sub"] != "alice" {
					t.Errorf("identity sub = %v, want alice", o.identity["sub"])
				}
				if diff := cmp.Diff([]string{"Authorization"}, o.up.delHeaders); diff != "" {
					t.Errorf("credential not stripped (-want +got):\n%s", diff)
				}
				return
			}
			o.wantRefused(t, tt.status, tt.problem)
			if got := o.detail(t); got != tt.description {
				t.Errorf("detail %q, want %q", got, tt.description)
			}
			want := []string{`Bearer realm="shop/jwt-policy/idp", error="invalid_token", error_description="` + tt.description + `"`}
			if diff := cmp.Diff(want, o.headers("WWW-Authenticate")); diff != "" {
				t.Errorf("WWW-Authenticate (-want +got):\n%s", diff)
			}
			assertNoLeak(t, o, tt.token)
			if len(o.up.delHeaders)+len(o.up.set) > 0 {
				t.Errorf("a refused request was edited: %+v", o.up)
			}
		})
	}
}

// tamper changes one claim without re-signing.
func tamper(token string) string {
	parts := strings.Split(token, ".")
	parts[1] = strings.Replace(parts[1], parts[1][:4], "eyJ6", 1)
	return strings.Join(parts, ".")
}

// assertNoLeak fails when the credential appears in the answer.
func assertNoLeak(t *testing.T, o outcome, credential string) {
	t.Helper()
	if len(credential) < 8 {
		return
	}
	if strings.Contains(string(o.d.Body), credential) {
		t.Errorf("the body holds the credential: %s", o.d.Body)
	}
	for _, h := range o.d.Headers {
		if strings.Contains(h.Value, credential) {
			t.Errorf("header %s holds the credential", h.Name)
		}
	}
	// Nor any part of a JWT (the claims segment is the client's own, but the
	// answer has no business echoing it).
	for _, part := range strings.Split(credential, ".") {
		if len(part) >= 16 && strings.Contains(string(o.d.Body), part) {
			t.Errorf("the body holds part of the credential")
		}
	}
}

func TestJWTIdentityHoldsTypedClaims(t *testing.T) {
	t.Parallel()
	clk := newClock()
	r := newRuntime(t, clk)
	i := newIDP(t)
	plan := r.Plan(jwtAuth(i.issuer()))
	o := decide(t, plan, newRequest().withBearer(sign(t, "rsa-1", i.claims(clk, map[string]any{"ratio": 0.5, "big": 1e300}))))
	o.wantAllowed(t)
	now := clk.Now().Unix()
	want := map[string]any{
		"iss": i.issuer(), "sub": "alice", "aud": "toys", "iat": now, "nbf": now, "exp": now + 3600,
		"scope": "read:toys", "groups": []any{"dev", "ops"}, "level": int64(3), "ratio": 0.5, "big": 1e300,
	}
	if diff := cmp.Diff(want, o.identity); diff != "" {
		t.Errorf("identity (-want +got):\n%s", diff)
	}
	if o.d.Rule != "shop/jwt-policy/idp" {
		t.Errorf("rule %q, want shop/jwt-policy/idp", o.d.Rule)
	}
}

func TestJWTMissingCredentials(t *testing.T) {
	t.Parallel()
	clk := newClock()
	r := newRuntime(t, clk)
	i := newIDP(t)
	plan := r.Plan(jwtAuth(i.issuer()))
	for name, req := range map[string]*fakeRequest{
		"no header":          newRequest(),
		"another scheme":     newRequest().withHeader("Authorization", "Basic YWxpY2U6c2VjcmV0"),
		"scheme only":        newRequest().withHeader("Authorization", "Bearer"),
		"scheme and spaces":  newRequest().withHeader("Authorization", "Bearer    "),
		"scheme glued on":    newRequest().withHeader("Authorization", "Bearertoken"),
		"empty header value": newRequest().withHeader("Authorization", ""),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			o := decide(t, plan, req)
			o.wantRefused(t, 401, "credential-missing")
			if diff := cmp.Diff([]string{`Bearer realm="shop/jwt-policy/idp"`}, o.headers("WWW-Authenticate")); diff != "" {
				t.Errorf("WWW-Authenticate (-want +got):\n%s", diff)
			}
		})
	}
}

func TestJWTSchemeIsCaseInsensitive(t *testing.T) {
	t.Parallel()
	clk := newClock()
	r := newRuntime(t, clk)
	i := newIDP(t)
	plan := r.Plan(jwtAuth(i.issuer()))
	decide(t, plan, newRequest().withHeader("Authorization", "bEaReR \t"+sign(t, "rsa-1", i.claims(clk, nil))+" ")).wantAllowed(t)
}

// TestJWTCachedTokenStillExpires: a verified token is cached, and its expiry
// is checked on every use.
func TestJWTCachedTokenStillExpires(t *testing.T) {
	t.Parallel()
	clk := newClock()
	r := newRuntime(t, clk)
	i := newIDP(t)
	plan := r.Plan(jwtAuth(i.issuer()))
	token := sign(t, "ec-1", i.claims(clk, map[string]any{"exp": clk.Now().Unix() + 60}))
	decide(t, plan, newRequest().withBearer(token)).wantAllowed(t)
	decide(t, plan, newRequest().withBearer(token)).wantAllowed(t)
	ks := plan.authenticators[0].verifier.(*jwtVerifier).ks
	if n := ks.verified.len(); n != 1 {
		t.Errorf("%d verified tokens cached, want 1", n)
	}
	clk.Advance(91 * time.Second) // past exp and the 30s skew
	decide(t, plan, newRequest().withBearer(token)).wantRefused(t, 401, "credential-expired")
}

// TestJWTWithoutDiscovery: a JWKS URL is fetched directly, and without an
// issuer the token's "iss" is not checked.
func TestJWTWithoutDiscovery(t *testing.T) {
	t.Parallel()
	clk := newClock()
	r := newRuntime(t, clk)
	i := newIDP(t)
	plan := r.Plan(jwtAuth("", func(j *snapshot.JWTAuth) { j.JWKSURL = i.srv.URL + "/keys" }))
	decide(t, plan, newRequest().withBearer(sign(t, "rsa-1", i.claims(clk, map[string]any{"iss": "anyone"})))).wantAllowed(t)
	if n := i.discoveryHits.Load(); n != 0 {
		t.Errorf("discovery fetched %d times, want 0", n)
	}
}

// TestJWTIssuerMismatchInDiscovery: a discovery document naming another
// issuer is not trusted, so the keys are never loaded.
func TestJWTIssuerMismatchInDiscovery(t *testing.T) {
	t.Parallel()
	clk := newClock()
	r := newRuntime(t, clk)
	i := newIDP(t)
	i.issuerClaim = "https://evil.example"
	plan := r.Plan(jwtAuth(i.issuer()))
	o := decide(t, plan, newRequest().withBearer(sign(t, "rsa-1", i.claims(clk, nil))))
	o.wantRefused(t, 503, "auth-unavailable")
	if n := i.jwksHits.Load(); n != 0 {
		t.Errorf("the key set of an untrusted discovery document was fetched %d times", n)
	}
}
