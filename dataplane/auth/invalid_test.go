package auth

import (
	"strings"
	"testing"

	"github.com/turnpike-gateway/turnpike/dataplane/problem"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// TestInvalidAuthFailsClosed: a route whose AuthPolicy could not be compiled
// (snapshot.Auth.Invalid) refuses every request with 500 route-unavailable, the
// one with a good key and the one the rules would let through anonymously alike;
// the reason stays in the decision for logs and never reaches the client.
func TestInvalidAuthFailsClosed(t *testing.T) {
	t.Parallel()
	r := newRuntime(t, newClock())
	const reason = "AuthPolicy shop/broken is invalid and no valid version of it is known; its status says what to fix."
	for name, a := range map[string]*snapshot.Auth{
		"nothing but the reason": {Invalid: reason},
		// The compiler leaves the rules out; a snapshot that has some anyway
		// must not let them decide.
		"rules next to the reason": {
			Invalid:        reason,
			Authentication: []*snapshot.Authenticator{{AuthRule: authRule("shop/open", "anyone"), Anonymous: true}},
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			plan := r.Plan(a)
			if plan.Err() == nil || plan.Err().Error() != reason {
				t.Fatalf("Err() = %v, want %q", plan.Err(), reason)
			}
			for _, req := range []*fakeRequest{
				newRequest(),
				newRequest().withHeader("Authorization", "APIKEY key-alice"),
			} {
				o := decide(t, plan, req)
				o.wantRefused(t, 500, "route-unavailable")
				if o.d.Outcome != Unavailable || o.d.Reason != reason {
					t.Errorf("outcome %s, reason %q; want unavailable with the policy's reason", o.d.Outcome, o.d.Reason)
				}
				if detail := o.detail(t); detail != problem.RouteUnavailable.Detail || strings.Contains(string(o.d.Body), "shop/broken") {
					t.Errorf("body %s names more than the problem", o.d.Body)
				}
				if len(o.up.set)+len(o.up.delHeaders) > 0 || o.identity != nil {
					t.Errorf("a refused request changed the upstream request (%+v) or has an identity (%v)", o.up, o.identity)
				}
			}
		})
	}
}
