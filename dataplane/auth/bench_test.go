package auth

import (
	"testing"

	"github.com/turnpike-gateway/turnpike/dataplane/expr"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// benchDecide runs Decide on one request the way the server does: pooled
// Decision and Activation, reset per request.
func benchDecide(b *testing.B, plan *Plan, req *fakeRequest) {
	if err := plan.Err(); err != nil {
		b.Fatal(err)
	}
	act := expr.NewActivation()
	up := &discardUpstream{}
	d := &Decision{}
	b.ReportAllocs()
	for b.Loop() {
		act.Reset(req)
		plan.Decide(req, act, up, d)
		if d.Outcome != Allowed {
			b.Fatalf("refused: %d %s", d.Status, d.Reason)
		}
	}
}

// apiKeyPlan is a typical API-key policy: a key in a header, 1,000 keys, and
// optionally a policy-level `when` exempting health checks (CEL).
func apiKeyPlan(b testing.TB, r *Runtime, exemptHealthChecks bool) (*Plan, *fakeRequest) {
	keys := map[string]map[string]any{}
	for i := range 1000 {
		keys["key-"+string(rune('a'+i%26))+string(rune('a'+i/26%26))+string(rune('0'+i%10))] = map[string]any{"n": int64(i)}
	}
	keys["key-of-bench"] = map[string]any{"metadata": map[string]any{"name": "bench"}}
	authn := &snapshot.Authenticator{
		AuthRule:    snapshot.AuthRule{Policy: "bench/keys", Name: "keys"},
		Credentials: snapshot.Credentials{Source: snapshot.CredentialCustomHeader, Name: "X-Api-Key"},
		APIKey:      staticKeys(keys),
	}
	if exemptHealthChecks {
		authn.PolicyWhen = compileAll(b, "request.url_path != '/healthz'")
	}
	plan := r.Plan(&snapshot.Auth{Authentication: []*snapshot.Authenticator{authn}})
	return plan, newRequest().withHeader("X-Api-Key", "key-of-bench")
}

func BenchmarkAPIKey(b *testing.B) {
	r := newRuntime(b, newClock())
	b.Run("Header", func(b *testing.B) {
		plan, req := apiKeyPlan(b, r, false)
		benchDecide(b, plan, req)
	})
	b.Run("HeaderAndPolicyWhen", func(b *testing.B) {
		plan, req := apiKeyPlan(b, r, true)
		benchDecide(b, plan, req)
	})
}

// BenchmarkJWT is the per-request cost of a JWT policy once the token has
// been verified (the usual case: a client sends the same token until it
// expires); the Verify sub-benchmarks check the signature every time.
func BenchmarkJWT(b *testing.B) {
	for _, kid := range []string{"rsa-1", "ec-1"} {
		name := map[string]string{"rsa-1": "RS256", "ec-1": "ES256"}[kid]
		clk := newClock()
		r := newRuntime(b, clk)
		i := newIDP(b)
		plan := r.Plan(jwtAuth(i.issuer()))
		token := sign(b, kid, i.claims(clk, nil))
		b.Run(name, func(b *testing.B) {
			benchDecide(b, plan, newRequest().withBearer(token))
		})
		b.Run(name+"/Verify", func(b *testing.B) {
			v := plan.authenticators[0].verifier.(*jwtVerifier)
			decide(b, plan, newRequest().withBearer(token)).wantAllowed(b) // keys loaded
			current := v.ks.keys.Load()
			b.ReportAllocs()
			for b.Loop() {
				if t, res := v.verifySignature([]byte(token), current); t == nil {
					b.Fatal(res.reason)
				}
			}
		})
	}
}
