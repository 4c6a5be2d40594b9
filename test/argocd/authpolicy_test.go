package argocd

import (
	"testing"
)

// authPolicyCases are the AuthPolicies of testdata/cluster.in.yaml as Turnpike left
// them, and what Argo CD must say about them. AuthPolicy's health check is
// RateLimitPolicy's (TestPolicyScriptsAreIdentical); these cases check it on the
// words the AuthPolicy compiler writes.
var authPolicyCases = []healthCase{
	{
		name:   "authpolicy-enforced",
		object: "AuthPolicy/web-auth",
		want:   health{Status: "Healthy", Message: "AuthPolicy is enforced."},
	},
	{
		name:   "authpolicy-invalid",
		object: "AuthPolicy/bad-issuer",
		want: health{Status: "Degraded",
			Message: `AuthPolicy is invalid: spec.rules.authentication["jwt"].jwt.issuerUrl: "not a url" is not an absolute http or https URL.` +
				` No valid version of it is known, so the routes where it is in force answer every request with 500 until it is fixed.`},
	},
	{
		name:   "authpolicy-target-not-found",
		object: "AuthPolicy/lost-auth",
		want:   health{Status: "Degraded", Message: "HTTPRoute default/nope does not exist."},
	},
	{
		name:   "authpolicy-overridden",
		object: "AuthPolicy/api-auth",
		want:   health{Status: "Healthy", Message: "AuthPolicy is overridden by [default/gateway-auth]."},
	},
	{
		name:   "authpolicy-no-served-route",
		object: "AuthPolicy/idle-auth",
		want: health{Status: "Healthy",
			Message: "AuthPolicy applies to no route that is served: Gateway default/quiet has no route attached to a served listener."},
	},
	{
		name:   "authpolicy-generation-ahead",
		object: "AuthPolicy/web-auth",
		edit:   newGeneration,
		want: health{Status: "Progressing",
			Message: "Waiting for Turnpike to process generation 2; the status describes generation 1."},
	},
	{
		// Turnpike writes Enforced with Accepted; another writer (or an older
		// Turnpike) may have left Accepted alone.
		name:   "authpolicy-accepted-not-yet-enforced",
		object: "AuthPolicy/web-auth",
		edit:   withoutCondition("Enforced"),
		want:   health{Status: "Progressing", Message: "The AuthPolicy is accepted; waiting for it to be enforced."},
	},
	{
		// Turnpike never reports Conflicted (policies on one target are ordered by
		// age), but Gateway API tooling may: built by hand from an accepted one.
		name:   "authpolicy-conflicted",
		object: "AuthPolicy/web-auth",
		edit: func(t testing.TB, obj map[string]any) {
			withoutCondition("Enforced")(t, obj)
			accepted := findStatusCondition(t, obj, "Accepted")
			accepted["status"], accepted["reason"] = "False", "Conflicted"
			accepted["message"] = "AuthPolicy default/other already targets HTTPRoute default/web."
		},
		want: health{Status: "Degraded", Message: "AuthPolicy default/other already targets HTTPRoute default/web."},
	},
	{
		name:   "authpolicy-no-status",
		object: "AuthPolicy/web-auth",
		edit:   noStatus,
		want:   health{Status: "Progressing", Message: "Waiting for Turnpike to report on the AuthPolicy."},
	},
}

func TestHealthOfAuthPolicy(t *testing.T) {
	t.Parallel()
	runHealthCases(t, authPolicyCases)
}

// withoutCondition drops a top-level status condition.
func withoutCondition(conditionType string) func(testing.TB, map[string]any) {
	return func(t testing.TB, obj map[string]any) {
		status, _ := obj["status"].(map[string]any)
		conditions, _ := status["conditions"].([]any)
		kept := make([]any, 0, len(conditions))
		for _, c := range conditions {
			if c.(map[string]any)["type"] != conditionType {
				kept = append(kept, c)
			}
		}
		if len(kept) == len(conditions) {
			t.Fatalf("no %s condition to drop", conditionType)
		}
		status["conditions"] = kept
	}
}

// findStatusCondition returns a top-level status condition, to change in place.
func findStatusCondition(t testing.TB, obj map[string]any, conditionType string) map[string]any {
	t.Helper()
	status, _ := obj["status"].(map[string]any)
	conditions, _ := status["conditions"].([]any)
	for _, c := range conditions {
		if condition := c.(map[string]any); condition["type"] == conditionType {
			return condition
		}
	}
	t.Fatalf("no %s condition", conditionType)
	return nil
}
