package compiler

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	tpv1a1 "github.com/turnpike-gateway/turnpike/api/v1alpha1"
)

// withAuthPolicies adds, to syntheticInput(n), a Gateway policy (JWT, as merge
// defaults) and one policy per route: API keys from the route's own labelled
// Secret, and an authorization pattern on its scope. The expressions of the
// patterns differ per route, so nothing is compiled only once.
func withAuthPolicies(in Input) Input {
	gatewayTarget := routeTarget("gw")
	gatewayTarget.Kind = "Gateway"
	in.AuthPolicies = append(in.AuthPolicies, &tpv1a1.AuthPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "sso", Namespace: "default"},
		Spec: tpv1a1.AuthPolicySpec{
			TargetRef: gatewayTarget,
			Defaults: &tpv1a1.MergeableAuthPolicyRules{Strategy: tpv1a1.MergeStrategyMerge, AuthPolicyRules: tpv1a1.AuthPolicyRules{
				Rules: &tpv1a1.AuthRules{Authentication: map[string]tpv1a1.AuthenticationRule{
					"sso": {JWT: &tpv1a1.JWTAuthentication{IssuerURL: "https://sso.example.com"}},
				}},
			}},
		},
	})
	for _, route := range in.HTTPRoutes {
		name := route.Name
		in.Secrets = append(in.Secrets, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: name + "-key", Namespace: "default", Labels: map[string]string{"app": name}},
			Data:       map[string][]byte{"api_key": []byte("key-" + name)},
		})
		in.AuthPolicies = append(in.AuthPolicies, &tpv1a1.AuthPolicy{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
			Spec: tpv1a1.AuthPolicySpec{
				TargetRef: routeTarget(name),
				AuthPolicyRules: tpv1a1.AuthPolicyRules{Rules: &tpv1a1.AuthRules{
					Authentication: map[string]tpv1a1.AuthenticationRule{
						"keys": {APIKey: &tpv1a1.APIKeyAuthentication{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}}}},
					},
					Authorization: map[string]tpv1a1.AuthorizationRule{
						"scope": {PatternMatching: &tpv1a1.PatternMatchingAuthorization{Patterns: []tpv1a1.PatternExpressionOrRef{{
							PatternExpression: tpv1a1.PatternExpression{Selector: "auth.identity.scope", Operator: "incl", Value: name + ":read"},
						}}}},
					},
				}},
			},
		})
	}
	return in
}

func benchmarkCompileAuth(b *testing.B, routes int) {
	in := withAuthPolicies(syntheticInput(routes))
	snap, report := Compile(in)
	if got := len(report.AuthPolicies); got != routes+1 {
		b.Fatalf("%d AuthPolicies in the report, want %d", got, routes+1)
	}
	for key, result := range report.AuthPolicies {
		if c := findCondition(result.Conditions, "Enforced"); c == nil || c.Status != metav1.ConditionTrue {
			b.Fatalf("%s: Enforced %+v", key, c)
		}
	}
	if auth := snap.Listeners[0].GatewayListeners[0].VirtualHosts[0].Routes[0].Auth; auth == nil || len(auth.Authentication) != 2 {
		b.Fatalf("route auth %+v, want the route's API keys and the Gateway's JWT", auth)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		Compile(in)
	}
}

// BenchmarkCompile1000RoutesWithAuth is BenchmarkCompile1000Routes with 1,001
// AuthPolicies and 1,000 API-key Secrets: the difference is what auth costs a
// compile.
func BenchmarkCompile1000RoutesWithAuth(b *testing.B) { benchmarkCompileAuth(b, 1000) }

// TestAuthBenchmarkInputIsValid keeps the benchmark's input honest in normal runs.
func TestAuthBenchmarkInputIsValid(t *testing.T) {
	t.Parallel()
	in := withAuthPolicies(syntheticInput(3))
	snap, report := Compile(in)
	checkInvariants(t, snap, report)
	result := report.AuthPolicies[types.NamespacedName{Namespace: "default", Name: "app-1"}]
	if c := findCondition(result.Conditions, "Enforced"); c == nil || c.Status != metav1.ConditionTrue {
		t.Fatalf("app-1: Enforced %+v", c)
	}
	if got := fmt.Sprint(len(authOn(t, snap, "app-1").Authentication)); got != "2" {
		t.Fatalf("app-1 has %s authenticators, want 2", got)
	}
}
