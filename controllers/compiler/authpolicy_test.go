package compiler

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	tpv1a1 "github.com/turnpike-gateway/turnpike/api/v1alpha1"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// authOn returns the Auth of the first snapshot route of an HTTPRoute.
func authOn(t *testing.T, snap *snapshot.Snapshot, route string) *snapshot.Auth {
	t.Helper()
	for _, socket := range snap.Listeners {
		for _, gl := range socket.GatewayListeners {
			for _, vh := range gl.VirtualHosts {
				for _, r := range vh.Routes {
					if r.RouteName == route {
						return r.Auth
					}
				}
			}
		}
	}
	t.Fatalf("HTTPRoute %s is not served", route)
	return nil
}

func authenticator(t *testing.T, auth *snapshot.Auth, name string) *snapshot.Authenticator {
	t.Helper()
	if auth != nil {
		for _, a := range auth.Authentication {
			if a.Name == name {
				return a
			}
		}
	}
	t.Fatalf("no authenticator %q in %+v", name, auth)
	return nil
}

func findSecret(t *testing.T, in Input, namespace, name string) *corev1.Secret {
	t.Helper()
	for _, s := range in.Secrets {
		if s.Namespace == namespace && s.Name == name {
			return s
		}
	}
	t.Fatalf("no Secret %s/%s in the input", namespace, name)
	return nil
}

func findAuthPolicy(t *testing.T, in Input, name string) *tpv1a1.AuthPolicy {
	t.Helper()
	for _, p := range in.AuthPolicies {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no AuthPolicy %q in the input", name)
	return nil
}

// keyHolders maps each key (in the clear, as the test knows them) to the Secret
// whose identity it proves.
func keyHolders(keys map[snapshot.APIKeyDigest]*snapshot.APIKeyIdentity, candidates ...string) map[string]string {
	out := map[string]string{}
	for _, key := range candidates {
		if holder, ok := keys[snapshot.DigestAPIKey([]byte(key))]; ok {
			out[key] = holder.Secret
		}
	}
	return out
}

// TestAPIKeysFollowSecrets: the keys a policy accepts are exactly those of the
// Secrets its selector chooses now: a rotated key replaces the old one, a new
// Secret adds one, an unlabelled one is dropped, allNamespaces reaches further.
func TestAPIKeysFollowSecrets(t *testing.T) {
	t.Parallel()
	candidates := []string{"key-alice", "key-bob", "key-bob-2", "key-dave", "key-carol"}
	base := loadInput(t, "testdata/authpolicy-route.in.yaml")
	snap, _ := Compile(base)
	got := keyHolders(authenticator(t, authOn(t, snap, "store"), "api-key-users").APIKey.Keys, candidates...)
	want := map[string]string{"key-alice": "default/alice", "key-bob": "default/bob"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("keys before (-want +got):\n%s", diff)
	}

	changed := deepCopyInput(base)
	findSecret(t, changed, "default", "bob").Data["api_key"] = []byte("key-bob-2")
	delete(findSecret(t, changed, "default", "alice").Labels, "app")
	changed.Secrets = append(changed.Secrets, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "dave", Namespace: "default", Labels: map[string]string{"app": "store"}},
		Data:       map[string][]byte{"api_key": []byte("key-dave")},
	})
	apiKey := findAuthPolicy(t, changed, "store").Spec.Rules.Authentication["api-key-users"]
	apiKey.APIKey.AllNamespaces = true
	findAuthPolicy(t, changed, "store").Spec.Rules.Authentication["api-key-users"] = apiKey
	snap, report := Compile(changed)
	got = keyHolders(authenticator(t, authOn(t, snap, "store"), "api-key-users").APIKey.Keys, candidates...)
	want = map[string]string{
		"key-alice": "default/dup", // alice lost its label; dup holds the same key
		"key-bob-2": "default/bob",
		"key-dave":  "default/dave",
		"key-carol": "other/carol",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("keys after (-want +got):\n%s", diff)
	}
	accepted := findCondition(report.AuthPolicies[types.NamespacedName{Namespace: "default", Name: "store"}].Conditions, "Accepted")
	if accepted == nil || accepted.Message != "AuthPolicy is accepted." {
		t.Errorf("Accepted = %+v; with no duplicate key left it should say nothing more", accepted)
	}
}

// TestAPIKeyIdentityIsMetadataOnly: auth.identity of an API key is the Secret's
// metadata, never its data, and never the copy of the whole object that kubectl
// apply keeps in an annotation.
func TestAPIKeyIdentityIsMetadataOnly(t *testing.T) {
	t.Parallel()
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name: "alice", Namespace: "default", Labels: map[string]string{"app": "store"},
			Annotations: map[string]string{
				"secret.kuadrant.io/user-id":                       "alice",
				"kubectl.kubernetes.io/last-applied-configuration": `{"data":{"api_key":"a2V5"}}`,
			},
		},
		Data: map[string][]byte{"api_key": []byte("key-alice"), "note": []byte("private")},
	}
	want := map[string]any{"metadata": map[string]any{
		"name": "alice", "namespace": "default",
		"labels":      map[string]any{"app": "store"},
		"annotations": map[string]any{"secret.kuadrant.io/user-id": "alice"},
	}}
	if diff := cmp.Diff(want, secretIdentity(secret)); diff != "" {
		t.Errorf("identity (-want +got):\n%s", diff)
	}
}

// TestRouteSharesRateLimitsAndAuth: a route with both kinds of policy carries
// both, and the copy made for one kind does not lose what the other set.
func TestRouteSharesRateLimitsAndAuth(t *testing.T) {
	t.Parallel()
	in := loadInput(t, "testdata/ratelimit-route.in.yaml")
	in.Secrets = append(in.Secrets, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "k", Namespace: "default", Labels: map[string]string{"app": "store"}},
		Data:       map[string][]byte{"api_key": []byte("k")},
	})
	in.AuthPolicies = append(in.AuthPolicies, &tpv1a1.AuthPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "store", Namespace: "default"},
		Spec: tpv1a1.AuthPolicySpec{
			TargetRef: routeTarget("store"),
			AuthPolicyRules: tpv1a1.AuthPolicyRules{Rules: &tpv1a1.AuthRules{
				Authentication: map[string]tpv1a1.AuthenticationRule{
					"keys": {APIKey: &tpv1a1.APIKeyAuthentication{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "store"}}}},
				},
			}},
		},
	})
	snap, _ := Compile(in)
	for _, socket := range snap.Listeners {
		for _, gl := range socket.GatewayListeners {
			for _, vh := range gl.VirtualHosts {
				for _, r := range vh.Routes {
					if r.Auth == nil || len(r.Auth.Authentication) != 1 || len(r.RateLimits) == 0 {
						t.Errorf("route %s: auth %+v and %d rate limits, want both", r.ID, r.Auth, len(r.RateLimits))
					}
				}
			}
		}
	}
}

func routeTarget(name string) gwapiv1.LocalPolicyTargetReferenceWithSectionName {
	return gwapiv1.LocalPolicyTargetReferenceWithSectionName{LocalPolicyTargetReference: gwapiv1.LocalPolicyTargetReference{
		Group: gwapiv1.GroupName, Kind: kindHTTPRoute, Name: gwapiv1.ObjectName(name),
	}}
}

// TestApplyPublishResultTakesBackAuthEnforced: a policy whose rules are only on a
// socket that could not be bound protects nothing, so it is not Enforced.
func TestApplyPublishResultTakesBackAuthEnforced(t *testing.T) {
	t.Parallel()
	in := loadInput(t, "testdata/authpolicy-defaults-overrides.in.yaml")
	_, report := Compile(in)
	ApplyPublishResult(&report, snapshot.PublishResult{BindErrors: map[string]error{
		":82": errors.New("bind: address already in use"), // the admin listener of gw-atomic
	}})
	for name, want := range map[string]metav1.ConditionStatus{
		"admin-listener":     metav1.ConditionFalse, // only on :82
		"gw-atomic-defaults": metav1.ConditionTrue,  // still on :81
	} {
		result := report.AuthPolicies[types.NamespacedName{Namespace: "default", Name: name}]
		c := findCondition(result.Conditions, "Enforced")
		if c == nil || c.Status != want {
			t.Errorf("%s: Enforced %+v, want %s", name, c, want)
		}
		if want == metav1.ConditionFalse && (c.Reason != "Unknown" || !strings.Contains(c.Message, "address :82 cannot be bound")) {
			t.Errorf("%s: Enforced %+v, want reason Unknown naming the socket", name, c)
		}
	}
}
