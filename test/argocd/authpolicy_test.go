package argocd

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	tpv1a1 "github.com/turnpike-gateway/turnpike/api/v1alpha1"
)

// AuthPolicy has no compiler yet, so its samples are built by hand with the
// PolicyStatus type it will carry, in the words the compiler uses for
// RateLimitPolicy (controllers/compiler/policystatus.go). When the AuthPolicy
// compiler lands, these cases should move into testdata/cluster.in.yaml.

func policyCondition(conditionType gwapiv1.PolicyConditionType, status metav1.ConditionStatus,
	reason gwapiv1.PolicyConditionReason, message string, generation int64) metav1.Condition {
	return metav1.Condition{
		Type: string(conditionType), Status: status, Reason: string(reason), Message: message,
		ObservedGeneration: generation, LastTransitionTime: statusTime,
	}
}

// authPolicy is an AuthPolicy of the given generation on HTTPRoute web whose status
// says conditions, at the top level and for Gateway default/ready.
func authPolicy(t testing.TB, generation int64, conditions ...metav1.Condition) map[string]any {
	t.Helper()
	obj := map[string]any{
		"apiVersion": "turnpike.dev/v1alpha1",
		"kind":       "AuthPolicy",
		"metadata": map[string]any{
			"name": "web-auth", "namespace": "default", "generation": generation,
			"uid": "00000000-0000-0000-0000-0000000000a1", "creationTimestamp": "2024-02-01T00:00:00Z",
		},
		"spec": map[string]any{
			"targetRef": map[string]any{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "web"},
		},
	}
	if len(conditions) == 0 {
		return obj
	}
	namespace := gwapiv1.Namespace("default")
	status := tpv1a1.PolicyStatus{
		ObservedGeneration: conditions[0].ObservedGeneration,
		Conditions:         conditions,
		Ancestors: []gwapiv1.PolicyAncestorStatus{{
			AncestorRef:    gwapiv1.ParentReference{Name: "ready", Namespace: &namespace},
			ControllerName: "turnpike.dev/gateway-controller",
			Conditions:     conditions,
		}},
	}
	unstructuredStatus, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&status)
	if err != nil {
		t.Fatal(err)
	}
	obj["status"] = unstructuredStatus
	return obj
}

var acceptedAuthPolicy = policyCondition(gwapiv1.PolicyConditionAccepted, metav1.ConditionTrue,
	gwapiv1.PolicyReasonAccepted, "AuthPolicy is accepted.", 1)

// authPolicyCases are hand-built AuthPolicies and what Argo CD must say about them.
var authPolicyCases = []struct {
	// name is also the sample's file name in testdata/samples.
	name string
	obj  func(t testing.TB) map[string]any
	want health
}{
	{
		name: "authpolicy-enforced",
		obj: func(t testing.TB) map[string]any {
			return authPolicy(t, 1, acceptedAuthPolicy, policyCondition(tpv1a1.PolicyConditionEnforced, metav1.ConditionTrue,
				tpv1a1.PolicyReasonEnforced, "AuthPolicy is enforced.", 1))
		},
		want: health{Status: "Healthy", Message: "AuthPolicy is enforced."},
	},
	{
		name: "authpolicy-invalid",
		obj: func(t testing.TB) map[string]any {
			return authPolicy(t, 1, policyCondition(gwapiv1.PolicyConditionAccepted, metav1.ConditionFalse,
				gwapiv1.PolicyReasonInvalid, `AuthPolicy is invalid: spec.rules.authentication["jwt"].jwt.issuerUrl: "not a url" is not an absolute URL.`, 1))
		},
		want: health{Status: "Degraded",
			Message: `AuthPolicy is invalid: spec.rules.authentication["jwt"].jwt.issuerUrl: "not a url" is not an absolute URL.`},
	},
	{
		name: "authpolicy-target-not-found",
		obj: func(t testing.TB) map[string]any {
			return authPolicy(t, 1, policyCondition(gwapiv1.PolicyConditionAccepted, metav1.ConditionFalse,
				gwapiv1.PolicyReasonTargetNotFound, "HTTPRoute default/web does not exist.", 1))
		},
		want: health{Status: "Degraded", Message: "HTTPRoute default/web does not exist."},
	},
	{
		name: "authpolicy-conflicted",
		obj: func(t testing.TB) map[string]any {
			return authPolicy(t, 1, policyCondition(gwapiv1.PolicyConditionAccepted, metav1.ConditionFalse,
				gwapiv1.PolicyReasonConflicted, "AuthPolicy default/other already targets HTTPRoute default/web.", 1))
		},
		want: health{Status: "Degraded", Message: "AuthPolicy default/other already targets HTTPRoute default/web."},
	},
	{
		name: "authpolicy-overridden",
		obj: func(t testing.TB) map[string]any {
			return authPolicy(t, 1, acceptedAuthPolicy, policyCondition(tpv1a1.PolicyConditionEnforced, metav1.ConditionFalse,
				tpv1a1.PolicyReasonOverridden, "AuthPolicy is overridden by [default/gateway-auth].", 1))
		},
		want: health{Status: "Healthy", Message: "AuthPolicy is overridden by [default/gateway-auth]."},
	},
	{
		name: "authpolicy-generation-ahead",
		obj: func(t testing.TB) map[string]any {
			return authPolicy(t, 3, acceptedAuthPolicy, policyCondition(tpv1a1.PolicyConditionEnforced, metav1.ConditionTrue,
				tpv1a1.PolicyReasonEnforced, "AuthPolicy is enforced.", 1))
		},
		want: health{Status: "Progressing",
			Message: "Waiting for Turnpike to process generation 3; the status describes generation 1."},
	},
	{
		name: "authpolicy-accepted-not-yet-enforced",
		obj:  func(t testing.TB) map[string]any { return authPolicy(t, 1, acceptedAuthPolicy) },
		want: health{Status: "Progressing", Message: "The AuthPolicy is accepted; waiting for it to be enforced."},
	},
	{
		name: "authpolicy-no-status",
		obj:  func(t testing.TB) map[string]any { return authPolicy(t, 1) },
		want: health{Status: "Progressing", Message: "Waiting for Turnpike to report on the AuthPolicy."},
	},
}

func TestHealthOfAuthPolicy(t *testing.T) {
	t.Parallel()
	scripts := loadScripts(t)
	for _, tc := range authPolicyCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			obj := tc.obj(t)
			checkSample(t, tc.name, obj)
			got, err := runHealth(scriptFor(t, scripts, obj), obj)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("health (-want +got):\n%s", diff)
			}
		})
	}
}
