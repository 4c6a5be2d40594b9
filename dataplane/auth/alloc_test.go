//go:build !race

// The race detector changes allocation counts, so they are checked without it.

package auth

import (
	"testing"

	"github.com/turnpike-gateway/turnpike/dataplane/expr"
)

// TestDecideAllocations: the per-request paths that every request of an
// API-key or JWT route pays allocate nothing once warm (the pooled Decision
// and Activation keep their room). Not parallel: allocation counts are
// process-wide.
func TestDecideAllocations(t *testing.T) {
	clk := newClock()
	r := newRuntime(t, clk)
	apiKey, apiKeyReq := apiKeyPlan(t, r, false)
	exempting, exemptingReq := apiKeyPlan(t, r, true)
	i := newIDP(t)
	jwt := r.Plan(jwtAuth(i.issuer()))
	jwtReq := newRequest().withBearer(sign(t, "ec-1", i.claims(clk, nil)))
	for name, c := range map[string]struct {
		plan *Plan
		req  *fakeRequest
		max  float64
	}{
		"API key":    {apiKey, apiKeyReq, 0},
		"cached JWT": {jwt, jwtReq, 0},
		// A CEL `when` costs what expr.Predicate costs (two allocations for
		// a comparison of request.url_path); the engine adds none.
		"API key with a policy when": {exempting, exemptingReq, 2},
	} {
		act := expr.NewActivation()
		up := &discardUpstream{}
		d := &Decision{}
		run := func() {
			act.Reset(c.req)
			c.plan.Decide(c.req, act, up, d)
			if d.Outcome != Allowed {
				t.Fatalf("%s: refused: %d %s", name, d.Status, d.Reason)
			}
		}
		run() // warm: keys fetched, token cached, buffers grown
		if allocs := testing.AllocsPerRun(200, run); allocs > c.max {
			t.Errorf("%s: Decide allocates %.1f times per request, want at most %.0f", name, allocs, c.max)
		}
	}
}
