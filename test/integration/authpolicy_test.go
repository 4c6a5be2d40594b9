package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	tpv1a1 "github.com/turnpike-gateway/turnpike/api/v1alpha1"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// apiKeyPolicy protects the named target with the API keys of the Secrets
// labelled app=<target>, presented as "Authorization: APIKEY <key>".
func apiKeyPolicy(ns, name, kind, target string) *tpv1a1.AuthPolicy {
	return &tpv1a1.AuthPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: tpv1a1.AuthPolicySpec{
			TargetRef: gwapiv1.LocalPolicyTargetReferenceWithSectionName{LocalPolicyTargetReference: gwapiv1.LocalPolicyTargetReference{
				Group: gwapiv1.GroupName, Kind: gwapiv1.Kind(kind), Name: gwapiv1.ObjectName(target),
			}},
			AuthPolicyRules: tpv1a1.AuthPolicyRules{Rules: &tpv1a1.AuthRules{
				Authentication: map[string]tpv1a1.AuthenticationRule{
					"api-key-users": {
						APIKey: &tpv1a1.APIKeyAuthentication{
							Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": target}},
						},
						Credentials: &tpv1a1.Credentials{AuthorizationHeader: &tpv1a1.PrefixedCredentials{Prefix: "APIKEY"}},
					},
				},
			}},
		},
	}
}

func apiKeySecret(ns, name, app, key string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app": app}},
		Data:       map[string][]byte{"api_key": []byte(key)},
	}
}

func getAuthPolicy(ns, name string) (*tpv1a1.AuthPolicy, error) {
	policy := &tpv1a1.AuthPolicy{}
	err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, policy)
	return policy, err
}

func authPolicyStatusIs(ns, name, acceptedReason, enforcedReason, gatewayName string) error {
	policy, err := getAuthPolicy(ns, name)
	if err != nil {
		return err
	}
	return statusIs(&policy.Status, policy.Generation, acceptedReason, enforcedReason, gatewayName)
}

// authServed returns the Auth of an HTTPRoute's snapshot routes on a port, and
// checks that every match of the route has the same one.
func authServed(port gwapiv1.PortNumber, ns, route string) (*snapshot.Auth, error) {
	routes := routesOf(publisher.Latest(), port, ns, route)
	if len(routes) == 0 {
		return nil, fmt.Errorf("HTTPRoute %s/%s is not served on port %d", ns, route, port)
	}
	for _, r := range routes[1:] {
		if r.Auth != routes[0].Auth {
			return nil, fmt.Errorf("route %s has auth %+v, route %s has %+v", routes[0].ID, routes[0].Auth, r.ID, r.Auth)
		}
	}
	return routes[0].Auth, nil
}

// acceptsKey says which Secret a key identifies on the route's API-key rule.
func acceptsKey(auth *snapshot.Auth, key string) (string, error) {
	if auth == nil || len(auth.Authentication) != 1 || auth.Authentication[0].APIKey == nil {
		return "", fmt.Errorf("auth %+v, want one API-key rule", auth)
	}
	holder := auth.Authentication[0].APIKey.Keys[snapshot.DigestAPIKey([]byte(key))]
	if holder == nil {
		return "", nil
	}
	return holder.Secret, nil
}

func TestAuthPolicyCRDValidation(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, nil)
	anonymous := func() *tpv1a1.AuthRules {
		return &tpv1a1.AuthRules{Authentication: map[string]tpv1a1.AuthenticationRule{"anyone": {Anonymous: &tpv1a1.AnonymousAuthentication{}}}}
	}
	tests := []struct {
		name   string
		mutate func(*tpv1a1.AuthPolicy)
		want   string // in the API server's error; empty means the create succeeds
	}{
		{"a valid policy", func(*tpv1a1.AuthPolicy) {}, ""},
		{"rules and defaults", func(p *tpv1a1.AuthPolicy) {
			p.Spec.Defaults = &tpv1a1.MergeableAuthPolicyRules{AuthPolicyRules: tpv1a1.AuthPolicyRules{Rules: anonymous()}}
		}, "Implicit and explicit defaults are mutually exclusive"},
		{"rules and overrides", func(p *tpv1a1.AuthPolicy) {
			p.Spec.Overrides = &tpv1a1.MergeableAuthPolicyRules{AuthPolicyRules: tpv1a1.AuthPolicyRules{Rules: anonymous()}}
		}, "Implicit defaults and explicit overrides are mutually exclusive"},
		{"defaults and overrides", func(p *tpv1a1.AuthPolicy) {
			p.Spec.Rules = nil
			p.Spec.Defaults = &tpv1a1.MergeableAuthPolicyRules{AuthPolicyRules: tpv1a1.AuthPolicyRules{Rules: anonymous()}}
			p.Spec.Overrides = &tpv1a1.MergeableAuthPolicyRules{AuthPolicyRules: tpv1a1.AuthPolicyRules{Rules: anonymous()}}
		}, "Explicit overrides and explicit defaults are mutually exclusive"},
		{"when without rules", func(p *tpv1a1.AuthPolicy) {
			p.Spec.Rules = nil
			p.Spec.When = []tpv1a1.WhenPredicate{{Predicate: "true"}}
		}, "At least one spec.rules must be defined"},
		{"empty overrides", func(p *tpv1a1.AuthPolicy) {
			p.Spec.Rules = nil
			p.Spec.Overrides = &tpv1a1.MergeableAuthPolicyRules{Strategy: tpv1a1.MergeStrategyMerge, AuthPolicyRules: tpv1a1.AuthPolicyRules{
				Rules: &tpv1a1.AuthRules{Response: &tpv1a1.AuthResponseRules{Success: &tpv1a1.SuccessResponses{}}},
			}}
		}, "At least one spec.overrides.rules must be defined"},
		{"a response is a rule", func(p *tpv1a1.AuthPolicy) {
			p.Spec.Rules = &tpv1a1.AuthRules{Response: &tpv1a1.AuthResponseRules{Unauthorized: &tpv1a1.DenialResponse{Code: 404}}}
		}, ""},
		{"unknown strategy", func(p *tpv1a1.AuthPolicy) {
			p.Spec.Rules = nil
			p.Spec.Defaults = &tpv1a1.MergeableAuthPolicyRules{Strategy: "replace", AuthPolicyRules: tpv1a1.AuthPolicyRules{Rules: anonymous()}}
		}, `Unsupported value: "replace"`},
		{"unknown operator", func(p *tpv1a1.AuthPolicy) {
			p.Spec.Rules.Authorization = map[string]tpv1a1.AuthorizationRule{"x": {PatternMatching: &tpv1a1.PatternMatchingAuthorization{
				Patterns: []tpv1a1.PatternExpressionOrRef{{PatternExpression: tpv1a1.PatternExpression{Selector: "request.method", Operator: "startsWith", Value: "G"}}},
			}}}
		}, `Unsupported value: "startsWith"`},
		{"denial code", func(p *tpv1a1.AuthPolicy) {
			p.Spec.Rules.Response = &tpv1a1.AuthResponseRules{Unauthenticated: &tpv1a1.DenialResponse{Code: 200}}
		}, "should be greater than or equal to 300"},
		{"target kind", func(p *tpv1a1.AuthPolicy) { p.Spec.TargetRef.Kind = "GRPCRoute" },
			"Invalid targetRef.kind. The only supported values are 'HTTPRoute' and 'Gateway'"},
		{"target group", func(p *tpv1a1.AuthPolicy) { p.Spec.TargetRef.Group = "example.com" },
			"Invalid targetRef.group. The only supported value is 'gateway.networking.k8s.io'"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			policy := apiKeyPolicy(ns, fmt.Sprintf("p%d", i), "HTTPRoute", "web")
			tt.mutate(policy)
			err := k8s.Create(context.Background(), policy)
			checkCreated(t, err, tt.want)
		})
	}
}

// TestAuthPolicyKeepsWhatTurnpikeDoesNotSupport: the API server must not prune the
// Kuadrant features Turnpike rejects, or a policy relying on them would silently
// lose them and be enforced without them; nested conditions and JSON values keep
// their content too.
func TestAuthPolicyKeepsWhatTurnpikeDoesNotSupport(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, nil)
	policy := apiKeyPolicy(ns, "kuadrant", "HTTPRoute", "web")
	policy.Spec.Rules.Metadata = map[string]tpv1a1.UnsupportedRule{
		"user-info": {RawExtension: runtime.RawExtension{Raw: []byte(`{"userInfo":{"identitySource":"sso"}}`)}},
	}
	policy.Spec.Rules.Authorization = map[string]tpv1a1.AuthorizationRule{"nested": {PatternMatching: &tpv1a1.PatternMatchingAuthorization{
		Patterns: []tpv1a1.PatternExpressionOrRef{{Any: []tpv1a1.UnstructuredPatternExpressionOrRef{
			{PatternExpressionOrRef: tpv1a1.PatternExpressionOrRef{Predicate: "request.method == 'GET'"}},
		}}},
	}}}
	policy.Spec.Rules.Response = &tpv1a1.AuthResponseRules{Success: &tpv1a1.SuccessResponses{Headers: map[string]tpv1a1.SuccessResponse{
		"x-tier": {Plain: &tpv1a1.ValueOrSelector{Value: &runtime.RawExtension{Raw: []byte(`{"level":2}`)}}},
	}}}
	create(t, policy)
	stored := &unstructured.Unstructured{}
	stored.SetGroupVersionKind(tpv1a1.GroupVersion.WithKind("AuthPolicy"))
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(policy), stored); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]any{
		"spec.rules.metadata.user-info.userInfo.identitySource":                      "sso",
		"spec.rules.response.success.headers.x-tier.plain.value.level":               int64(2),
		"spec.rules.authorization.nested.patternMatching.patterns.0.any.0.predicate": "request.method == 'GET'",
	} {
		got, err := nestedValue(stored.Object, strings.Split(path, "."))
		if err != nil || !cmp.Equal(want, got) {
			t.Errorf("%s = %v (%v), want %v", path, got, err, want)
		}
	}
}

// nestedValue reads a path of map keys and list indexes ("0").
func nestedValue(obj any, path []string) (any, error) {
	for i, key := range path {
		switch typed := obj.(type) {
		case map[string]any:
			obj = typed[key]
		case []any:
			var index int
			if _, err := fmt.Sscan(key, &index); err != nil || index >= len(typed) {
				return nil, fmt.Errorf("no item %s at %s", key, strings.Join(path[:i], "."))
			}
			obj = typed[index]
		default:
			return nil, fmt.Errorf("nothing at %s", strings.Join(path[:i+1], "."))
		}
	}
	return obj, nil
}

func TestAuthPolicyCRDPrinterColumns(t *testing.T) {
	t.Parallel()
	crd := &unstructured.Unstructured{}
	crd.SetGroupVersionKind(schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"})
	if err := k8s.Get(context.Background(), client.ObjectKey{Name: "authpolicies.turnpike.dev"}, crd); err != nil {
		t.Fatal(err)
	}
	if got := crd.GetLabels()[gwapiv1.PolicyLabelKey]; got != "inherited" {
		t.Errorf("label %s = %q, want inherited", gwapiv1.PolicyLabelKey, got)
	}
	if shortNames, _, _ := unstructured.NestedStringSlice(crd.Object, "spec", "names", "shortNames"); !cmp.Equal(shortNames, []string{"ap"}) {
		t.Errorf("short names %v, want [ap]", shortNames)
	}
}

// TestAuthPolicyEnforcedOnRoute follows an API-key policy from the API server into
// the snapshot's routes and back into status; then a Secret rotation, and a second,
// invalid policy on the same route that changes nothing.
func TestAuthPolicyEnforcedOnRoute(t *testing.T) {
	t.Parallel()
	ensureClass(t)
	ns := newNamespace(t, nil)
	port := freshPort()
	create(t, gateway(ns, "gw", port, gwapiv1.NamespacesFromSame))
	create(t, httpRoute(ns, "web", ns, "gw", nil, "/"))
	create(t, apiKeySecret(ns, "alice", "web", "key-alice"))
	create(t, apiKeyPolicy(ns, "keys", "HTTPRoute", "web"))

	eventually(t, "the policy is Accepted and Enforced", func() error {
		return authPolicyStatusIs(ns, "keys", "Accepted", "Enforced", "gw")
	})
	eventually(t, "the route accepts alice's key", func() error {
		auth, err := authServed(port, ns, "web")
		if err != nil {
			return err
		}
		if holder, err := acceptsKey(auth, "key-alice"); err != nil || holder != ns+"/alice" {
			return fmt.Errorf("key-alice identifies %q (%v), want %s/alice", holder, err, ns)
		}
		return nil
	})
	auth, err := authServed(port, ns, "web")
	if err != nil {
		t.Fatal(err)
	}
	rule := auth.Authentication[0]
	if rule.Policy != ns+"/keys" || rule.Name != "api-key-users" || rule.Credentials != (snapshot.Credentials{
		Source: snapshot.CredentialAuthorizationHeader, Name: "Authorization", Prefix: "APIKEY",
	}) || !cmp.Equal(rule.APIKey.Secrets, []string{ns + "/alice"}) {
		t.Errorf("authenticator %+v (API key %+v)", rule, rule.APIKey)
	}
	identity := rule.APIKey.Keys[snapshot.DigestAPIKey([]byte("key-alice"))].Identity
	if metadata, _ := identity["metadata"].(map[string]any); metadata["name"] != "alice" || metadata["namespace"] != ns {
		t.Errorf("identity %v, want the Secret's metadata", identity)
	}

	// A rotated key replaces the old one without touching the policy.
	secret := &corev1.Secret{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "alice"}, secret); err != nil {
		t.Fatal(err)
	}
	secret.Data["api_key"] = []byte("key-alice-2")
	if err := k8s.Update(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the rotated key replaces the old one", func() error {
		auth, err := authServed(port, ns, "web")
		if err != nil {
			return err
		}
		if holder, _ := acceptsKey(auth, "key-alice"); holder != "" {
			return fmt.Errorf("the old key still identifies %s", holder)
		}
		if holder, err := acceptsKey(auth, "key-alice-2"); err != nil || holder != ns+"/alice" {
			return fmt.Errorf("key-alice-2 identifies %q (%v)", holder, err)
		}
		return nil
	})

	// An invalid policy on the same route, more specific than keys (newer, and
	// named after it should they share a creation second), is rejected with its
	// message and, with no valid version of it known, fails the route closed
	// rather than leaving it to the policy it would have replaced. Deleting it
	// gives the route back its auth as it was.
	before, err := authServed(port, ns, "web")
	if err != nil {
		t.Fatal(err)
	}
	broken := apiKeyPolicy(ns, "unsupported", "HTTPRoute", "web")
	broken.Spec.Rules.Callbacks = map[string]tpv1a1.UnsupportedRule{
		"audit": {RawExtension: runtime.RawExtension{Raw: []byte(`{"http":{"url":"https://audit.example.com"}}`)}},
	}
	create(t, broken)
	eventually(t, "the broken policy is Invalid, naming what is not supported, and fails closed", func() error {
		if err := authPolicyStatusIs(ns, "unsupported", "Invalid", "Invalid", "gw"); err != nil {
			return err
		}
		policy, err := getAuthPolicy(ns, "unsupported")
		if err != nil {
			return err
		}
		if want := `AuthPolicy is invalid: spec.rules.callbacks: callbacks ("audit") are not supported by Turnpike; remove them.` +
			` No valid version of it is known, so the routes where it is in force answer every request with 500 until it is fixed.`; policy.Status.Conditions[0].Message != want {
			return fmt.Errorf("message %q, want %q", policy.Status.Conditions[0].Message, want)
		}
		return nil
	})
	if err := authPolicyStatusIs(ns, "keys", "Accepted", "Overridden", "gw"); err != nil {
		t.Errorf("the valid policy under the broken one: %v", err)
	}
	if auth, err := authServed(port, ns, "web"); err != nil || auth == nil || auth.Invalid == "" {
		t.Errorf("route web has auth %+v (%v); want it to fail closed", auth, err)
	}
	if err := k8s.Delete(context.Background(), broken); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the route has its auth back once the broken policy is deleted", func() error {
		after, err := authServed(port, ns, "web")
		if err != nil {
			return err
		}
		if diff := cmp.Diff(before, after, cmp.Comparer(func(a, b *snapshot.Expression) bool { return a.Source == b.Source })); diff != "" {
			return fmt.Errorf("the route's auth differs (-before +after):\n%s", diff)
		}
		return authPolicyStatusIs(ns, "keys", "Accepted", "Enforced", "gw")
	})
}

// updateAuthPolicy applies mutate to the stored policy, retrying on conflicts.
func updateAuthPolicy(t *testing.T, ns, name string, mutate func(*tpv1a1.AuthPolicy)) {
	t.Helper()
	eventually(t, "updating AuthPolicy "+name, func() error {
		policy, err := getAuthPolicy(ns, name)
		if err != nil {
			return err
		}
		mutate(policy)
		return k8s.Update(context.Background(), policy)
	})
}

// conditionMessage is the message of a policy's top-level condition.
func conditionMessage(ns, name, conditionType string) (string, error) {
	policy, err := getAuthPolicy(ns, name)
	if err != nil {
		return "", err
	}
	for _, c := range policy.Status.Conditions {
		if c.Type == conditionType {
			return c.Message, nil
		}
	}
	return "", fmt.Errorf("AuthPolicy %s/%s has no %s condition", ns, name, conditionType)
}

// TestAuthPolicyBadEditNeverOpensTheRoute: an update that breaks a policy leaves
// its last valid version enforced, and status says so; a policy deleted and
// created again already broken, which has no valid version, fails closed; fixing
// it restores its rules.
func TestAuthPolicyBadEditNeverOpensTheRoute(t *testing.T) {
	t.Parallel()
	ensureClass(t)
	ns := newNamespace(t, nil)
	port := freshPort()
	create(t, gateway(ns, "gw", port, gwapiv1.NamespacesFromSame))
	create(t, httpRoute(ns, "web", ns, "gw", nil, "/"))
	create(t, apiKeySecret(ns, "alice", "web", "key-alice"))
	create(t, apiKeyPolicy(ns, "keys", "HTTPRoute", "web"))
	acceptsAlice := func() error {
		auth, err := authServed(port, ns, "web")
		if err != nil {
			return err
		}
		if holder, err := acceptsKey(auth, "key-alice"); err != nil || holder != ns+"/alice" {
			return fmt.Errorf("key-alice identifies %q (%v), want %s/alice", holder, err, ns)
		}
		return nil
	}
	eventually(t, "the policy is Accepted and Enforced", func() error {
		if err := authPolicyStatusIs(ns, "keys", "Accepted", "Enforced", "gw"); err != nil {
			return err
		}
		return acceptsAlice()
	})
	valid, err := getAuthPolicy(ns, "keys")
	if err != nil {
		t.Fatal(err)
	}

	typo := []tpv1a1.WhenPredicate{{Predicate: "request.path.startsWith("}}
	updateAuthPolicy(t, ns, "keys", func(p *tpv1a1.AuthPolicy) { p.Spec.When = typo })
	eventually(t, "the broken generation is Invalid and the last valid one stays enforced", func() error {
		if err := authPolicyStatusIs(ns, "keys", "Invalid", "Enforced", "gw"); err != nil {
			return err
		}
		accepted, err := conditionMessage(ns, "keys", "Accepted")
		if err != nil {
			return err
		}
		if want := fmt.Sprintf(" Generation %d, its last valid version, stays enforced until this is fixed.", valid.Generation); !strings.HasSuffix(accepted, want) ||
			!strings.Contains(accepted, "spec.when[0].predicate") {
			return fmt.Errorf("Accepted message %q should name the problem and end with %q", accepted, want)
		}
		enforced, err := conditionMessage(ns, "keys", "Enforced")
		if err != nil {
			return err
		}
		if want := fmt.Sprintf("The last valid version of the AuthPolicy (generation %d) is enforced.", valid.Generation); enforced != want {
			return fmt.Errorf("Enforced message %q, want %q", enforced, want)
		}
		return nil
	})
	// The status is written after the snapshot of the same compile is live.
	if err := acceptsAlice(); err != nil {
		t.Errorf("after the bad edit, the route must keep the old rules: %v", err)
	}

	// Deleted, then created again already broken: another object, with no valid
	// version of its own.
	if err := k8s.Delete(context.Background(), valid); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the route is served without auth once the policy is gone", func() error {
		auth, err := authServed(port, ns, "web")
		if err != nil {
			return err
		}
		if auth != nil {
			return fmt.Errorf("route web still has auth %+v", auth)
		}
		return nil
	})
	recreated := apiKeyPolicy(ns, "keys", "HTTPRoute", "web")
	recreated.Spec.When = typo
	create(t, recreated)
	eventually(t, "the recreated, broken policy fails the route closed", func() error {
		if err := authPolicyStatusIs(ns, "keys", "Invalid", "Invalid", "gw"); err != nil {
			return err
		}
		auth, err := authServed(port, ns, "web")
		if err != nil {
			return err
		}
		if want := fmt.Sprintf("AuthPolicy %s/keys is invalid and no valid version of it is known; its status says what to fix.", ns); auth == nil || auth.Invalid != want {
			return fmt.Errorf("route web has auth %+v, want Invalid %q", auth, want)
		}
		return nil
	})

	updateAuthPolicy(t, ns, "keys", func(p *tpv1a1.AuthPolicy) { p.Spec.When = nil })
	eventually(t, "the fixed policy is enforced", func() error {
		if err := authPolicyStatusIs(ns, "keys", "Accepted", "Enforced", "gw"); err != nil {
			return err
		}
		return acceptsAlice()
	})
}
