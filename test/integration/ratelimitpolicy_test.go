package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	tpv1a1 "github.com/turnpike-gateway/turnpike/api/v1alpha1"
	"github.com/turnpike-gateway/turnpike/controllers/compiler"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// rateLimitPolicy is a policy with one limit of `limit` per `window`, counted per
// API key, on the named target.
func rateLimitPolicy(ns, name, kind, target string, limit int64, window string) *tpv1a1.RateLimitPolicy {
	return &tpv1a1.RateLimitPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: tpv1a1.RateLimitPolicySpec{
			TargetRef: gwapiv1.LocalPolicyTargetReferenceWithSectionName{LocalPolicyTargetReference: gwapiv1.LocalPolicyTargetReference{
				Group: gwapiv1.GroupName, Kind: gwapiv1.Kind(kind), Name: gwapiv1.ObjectName(target),
			}},
			RateLimitRules: tpv1a1.RateLimitRules{Limits: map[string]tpv1a1.Limit{
				"per-key": {
					Rates:    []tpv1a1.Rate{{Limit: limit, Window: tpv1a1.Duration(window)}},
					Counters: []tpv1a1.Counter{{Expression: "request.headers['x-api-key']"}},
				},
			}},
		},
	}
}

func getPolicy(ns, name string) (*tpv1a1.RateLimitPolicy, error) {
	policy := &tpv1a1.RateLimitPolicy{}
	err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, policy)
	return policy, err
}

// policyStatusIs checks a RateLimitPolicy's status (see statusIs).
func policyStatusIs(ns, name, acceptedReason, enforcedReason, gatewayName string) error {
	policy, err := getPolicy(ns, name)
	if err != nil {
		return err
	}
	return statusIs(&policy.Status, policy.Generation, acceptedReason, enforcedReason, gatewayName)
}

// statusIs checks a policy's top-level conditions, and that its ancestor entry for
// the Gateway says the same, at the policy's current generation. An empty
// enforcedReason means there must be no Enforced condition.
func statusIs(status *tpv1a1.PolicyStatus, generation int64, acceptedReason, enforcedReason, gatewayName string) error {
	want := func(conds []metav1.Condition) error {
		acceptedStatus := metav1.ConditionFalse
		if acceptedReason == "Accepted" {
			acceptedStatus = metav1.ConditionTrue
		}
		if err := conditionIs(conds, "Accepted", acceptedStatus, acceptedReason, generation); err != nil {
			return err
		}
		if enforcedReason == "" {
			for _, c := range conds {
				if c.Type == "Enforced" {
					return fmt.Errorf("unexpected Enforced condition %+v", c)
				}
			}
			return nil
		}
		enforcedStatus := metav1.ConditionFalse
		if enforcedReason == "Enforced" {
			enforcedStatus = metav1.ConditionTrue
		}
		return conditionIs(conds, "Enforced", enforcedStatus, enforcedReason, generation)
	}
	if status.ObservedGeneration != generation {
		return fmt.Errorf("observedGeneration %d, generation %d", status.ObservedGeneration, generation)
	}
	if err := want(status.Conditions); err != nil {
		return err
	}
	if gatewayName == "" {
		if len(status.Ancestors) != 0 {
			return fmt.Errorf("unexpected ancestors %+v", status.Ancestors)
		}
		return nil
	}
	for _, ancestor := range status.Ancestors {
		if string(ancestor.AncestorRef.Name) == gatewayName && ancestor.ControllerName == compiler.ControllerName {
			if err := want(ancestor.Conditions); err != nil {
				return fmt.Errorf("ancestor %s: %w", gatewayName, err)
			}
			return nil
		}
	}
	return fmt.Errorf("no ancestor entry for Gateway %s in %+v", gatewayName, status.Ancestors)
}

// limitsServed lists "policy/limit" for the rate limits on an HTTPRoute's snapshot
// routes served on a port, and checks that every match of the route has the same.
func limitsServed(port gwapiv1.PortNumber, ns, route string) ([]string, error) {
	routes := routesOf(publisher.Latest(), port, ns, route)
	if len(routes) == 0 {
		return nil, fmt.Errorf("HTTPRoute %s/%s is not served on port %d", ns, route, port)
	}
	var first []string
	for i, r := range routes {
		var names []string
		for _, l := range r.RateLimits {
			names = append(names, l.Policy+"/"+l.Name)
		}
		if i == 0 {
			first = names
		} else if !cmp.Equal(first, names) {
			return nil, fmt.Errorf("route %s has limits %v, route %s has %v", routes[0].ID, first, r.ID, names)
		}
	}
	return first, nil
}

func TestRateLimitPolicyCRDValidation(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t, nil)
	valid := func() *tpv1a1.RateLimitPolicy { return rateLimitPolicy(ns, "p", "HTTPRoute", "web", 10, "1m") }
	rules := func(limit int64, window string) tpv1a1.RateLimitRules {
		return tpv1a1.RateLimitRules{Limits: map[string]tpv1a1.Limit{"l": {Rates: []tpv1a1.Rate{{Limit: limit, Window: tpv1a1.Duration(window)}}}}}
	}
	tests := []struct {
		name   string
		mutate func(*tpv1a1.RateLimitPolicy)
		want   string // in the API server's error; empty means the create succeeds
	}{
		{"a valid policy", func(*tpv1a1.RateLimitPolicy) {}, ""},
		{"compound window", func(p *tpv1a1.RateLimitPolicy) { p.Spec.Limits["per-key"].Rates[0].Window = "1h30m" }, ""},
		{"window in words", func(p *tpv1a1.RateLimitPolicy) { p.Spec.Limits["per-key"].Rates[0].Window = "1 minute" },
			"should match '^([0-9]{1,5}(h|m|s|ms)){1,4}$'"},
		{"window without unit", func(p *tpv1a1.RateLimitPolicy) { p.Spec.Limits["per-key"].Rates[0].Window = "60" },
			"should match"},
		{"negative limit", func(p *tpv1a1.RateLimitPolicy) { p.Spec.Limits["per-key"].Rates[0].Limit = -1 },
			"should be greater than or equal to 0"},
		{"limit without rates", func(p *tpv1a1.RateLimitPolicy) { p.Spec.Limits["per-key"] = tpv1a1.Limit{} },
			"rates"},
		{"limits and defaults", func(p *tpv1a1.RateLimitPolicy) {
			p.Spec.Defaults = &tpv1a1.MergeableRateLimitRules{RateLimitRules: rules(1, "1s")}
		}, "Implicit and explicit defaults are mutually exclusive"},
		{"defaults and overrides", func(p *tpv1a1.RateLimitPolicy) {
			p.Spec.Limits = nil
			p.Spec.Defaults = &tpv1a1.MergeableRateLimitRules{RateLimitRules: rules(1, "1s")}
			p.Spec.Overrides = &tpv1a1.MergeableRateLimitRules{RateLimitRules: rules(1, "1s")}
		}, "Overrides and explicit defaults are mutually exclusive"},
		{"limits and overrides", func(p *tpv1a1.RateLimitPolicy) {
			p.Spec.Overrides = &tpv1a1.MergeableRateLimitRules{RateLimitRules: rules(1, "1s")}
		}, "Overrides and implicit defaults are mutually exclusive"},
		{"no limits", func(p *tpv1a1.RateLimitPolicy) { p.Spec.Limits = nil }, "At least one spec.limits must be defined"},
		{"empty overrides", func(p *tpv1a1.RateLimitPolicy) {
			p.Spec.Limits = nil
			p.Spec.Overrides = &tpv1a1.MergeableRateLimitRules{Strategy: tpv1a1.MergeStrategyMerge}
		}, "At least one spec.overrides.limits must be defined"},
		{"unknown strategy", func(p *tpv1a1.RateLimitPolicy) {
			p.Spec.Limits = nil
			p.Spec.Defaults = &tpv1a1.MergeableRateLimitRules{Strategy: "replace", RateLimitRules: rules(1, "1s")}
		}, `Unsupported value: "replace"`},
		{"target kind", func(p *tpv1a1.RateLimitPolicy) { p.Spec.TargetRef.Kind = "GRPCRoute" },
			"Invalid targetRef.kind. The only supported values are 'HTTPRoute' and 'Gateway'"},
		{"target group", func(p *tpv1a1.RateLimitPolicy) { p.Spec.TargetRef.Group = "example.com" },
			"Invalid targetRef.group. The only supported value is 'gateway.networking.k8s.io'"},
		{"empty counter", func(p *tpv1a1.RateLimitPolicy) {
			limit := p.Spec.Limits["per-key"]
			limit.Counters = []tpv1a1.Counter{{Expression: ""}}
			p.Spec.Limits["per-key"] = limit
		}, "counters[0].expression"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			policy := valid()
			policy.Name = fmt.Sprintf("p%d", i)
			tt.mutate(policy)
			err := k8s.Create(context.Background(), policy)
			checkCreated(t, err, tt.want)
		})
	}
}

// The CRD as installed shows Accepted and Enforced in `kubectl get`, and is labelled
// as an inherited Gateway API policy.
func TestRateLimitPolicyCRDPrinterColumns(t *testing.T) {
	t.Parallel()
	crd := &unstructured.Unstructured{}
	crd.SetGroupVersionKind(schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"})
	if err := k8s.Get(context.Background(), client.ObjectKey{Name: "ratelimitpolicies.turnpike.dev"}, crd); err != nil {
		t.Fatal(err)
	}
	if got := crd.GetLabels()[gwapiv1.PolicyLabelKey]; got != "inherited" {
		t.Errorf("label %s = %q, want inherited", gwapiv1.PolicyLabelKey, got)
	}
	versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
	if len(versions) != 1 {
		t.Fatalf("versions: %v", versions)
	}
	columns, _, _ := unstructured.NestedSlice(versions[0].(map[string]any), "additionalPrinterColumns")
	got := map[string]string{}
	for _, column := range columns {
		c := column.(map[string]any)
		if priority, _ := c["priority"].(int64); priority == 0 {
			got[c["name"].(string)] = c["jsonPath"].(string)
		}
	}
	want := map[string]string{
		"Accepted": `.status.conditions[?(@.type=="Accepted")].status`,
		"Enforced": `.status.conditions[?(@.type=="Enforced")].status`,
		"Age":      ".metadata.creationTimestamp",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("default printer columns (-want +got):\n%s", diff)
	}
}

// TestRateLimitPolicyEnforcedOnRoute follows a policy from the API server into the
// snapshot's routes and back into status, and a target that appears later.
func TestRateLimitPolicyEnforcedOnRoute(t *testing.T) {
	t.Parallel()
	ensureClass(t)
	ns := newNamespace(t, nil)
	port := freshPort()
	create(t, gateway(ns, "gw", port, gwapiv1.NamespacesFromSame))
	create(t, service(ns, "web", 80))
	create(t, endpointSlice(ns, "web", true, "10.1.0.1"))
	create(t, rateLimitPolicy(ns, "per-key", "HTTPRoute", "web", 10, "1m"))

	eventually(t, "policy on a missing route is TargetNotFound", func() error {
		return policyStatusIs(ns, "per-key", "TargetNotFound", "", "")
	})
	create(t, httpRoute(ns, "web", ns, "gw", nil, "/", backendRef{name: "web", port: 80}))

	eventually(t, "the route carries the policy's limit", func() error {
		got, err := limitsServed(port, ns, "web")
		if err != nil {
			return err
		}
		if want := []string{ns + "/per-key/per-key"}; !cmp.Equal(want, got) {
			return fmt.Errorf("limits %v, want %v", got, want)
		}
		return nil
	})
	eventually(t, "policy Accepted and Enforced once its route appears", func() error {
		return policyStatusIs(ns, "per-key", "Accepted", "Enforced", "gw")
	})
	policy, err := getPolicy(ns, "per-key")
	if err != nil {
		t.Fatal(err)
	}
	limit := routesOf(publisher.Latest(), port, ns, "web")[0].RateLimits[0]
	want := &snapshot.RateLimit{
		Policy: ns + "/per-key", Name: "per-key",
		CounterKey: string(policy.UID) + "/per-key/10/1m0s",
		Rates:      []snapshot.Rate{{Limit: 10, Window: 60_000_000_000}},
	}
	if diff := cmp.Diff(want, limit, cmp.FilterPath(func(p cmp.Path) bool {
		return p.Last().String() == ".Counters" // compiled programs; checked below
	}, cmp.Ignore())); diff != "" {
		t.Errorf("rate limit (-want +got):\n%s", diff)
	}
	if len(limit.Counters) != 1 || limit.Counters[0].Source != "request.headers['x-api-key']" || limit.Counters[0].Program == nil {
		t.Errorf("counters %+v, want the compiled API-key expression", limit.Counters)
	}
}

// TestRateLimitPolicyInvalidThenOverriding: a Gateway policy whose expression does
// not compile is Invalid and changes nothing the route's own policy does; once
// fixed, its overrides take over and the route's policy is Overridden, naming it.
func TestRateLimitPolicyInvalidThenOverriding(t *testing.T) {
	t.Parallel()
	ensureClass(t)
	ns := newNamespace(t, nil)
	port := freshPort()
	create(t, gateway(ns, "gw", port, gwapiv1.NamespacesFromSame))
	create(t, httpRoute(ns, "web", ns, "gw", nil, "/"))
	create(t, rateLimitPolicy(ns, "route-policy", "HTTPRoute", "web", 10, "1m"))
	ceiling := &tpv1a1.RateLimitPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ceiling"},
		Spec: tpv1a1.RateLimitPolicySpec{
			TargetRef: gwapiv1.LocalPolicyTargetReferenceWithSectionName{LocalPolicyTargetReference: gwapiv1.LocalPolicyTargetReference{
				Group: gwapiv1.GroupName, Kind: "Gateway", Name: "gw",
			}},
			Overrides: &tpv1a1.MergeableRateLimitRules{RateLimitRules: tpv1a1.RateLimitRules{
				When: []tpv1a1.WhenPredicate{{Predicate: "request.method == 'POST"}}, // unterminated string
				Limits: map[string]tpv1a1.Limit{
					"writes": {Rates: []tpv1a1.Rate{{Limit: 100, Window: "1s"}}},
				},
			}},
		},
	}
	create(t, ceiling)

	eventually(t, "the broken Gateway policy is Invalid with the CEL compiler's message", func() error {
		if err := policyStatusIs(ns, "ceiling", "Invalid", "", "gw"); err != nil {
			return err
		}
		policy, err := getPolicy(ns, "ceiling")
		if err != nil {
			return err
		}
		if msg := policy.Status.Conditions[0].Message; !strings.Contains(msg, "spec.overrides.when[0].predicate") || !strings.Contains(msg, "Syntax error") {
			return fmt.Errorf("message %q does not name the field and the CEL error", msg)
		}
		return nil
	})
	eventually(t, "the route's own policy is untouched", func() error {
		if err := policyStatusIs(ns, "route-policy", "Accepted", "Enforced", "gw"); err != nil {
			return err
		}
		got, err := limitsServed(port, ns, "web")
		if err != nil {
			return err
		}
		if want := []string{ns + "/route-policy/per-key"}; !cmp.Equal(want, got) {
			return fmt.Errorf("limits %v, want %v", got, want)
		}
		return nil
	})

	fixed, err := getPolicy(ns, "ceiling")
	if err != nil {
		t.Fatal(err)
	}
	fixed.Spec.Overrides.When[0].Predicate = "request.method == 'POST'"
	if err := k8s.Update(context.Background(), fixed); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the fixed overrides replace the route's limits", func() error {
		got, err := limitsServed(port, ns, "web")
		if err != nil {
			return err
		}
		if want := []string{ns + "/ceiling/writes"}; !cmp.Equal(want, got) {
			return fmt.Errorf("limits %v, want %v", got, want)
		}
		return nil
	})
	eventually(t, "the Gateway policy is Enforced at its new generation", func() error {
		return policyStatusIs(ns, "ceiling", "Accepted", "Enforced", "gw")
	})
	eventually(t, "the route's policy is Overridden, naming the Gateway policy", func() error {
		if err := policyStatusIs(ns, "route-policy", "Accepted", "Overridden", "gw"); err != nil {
			return err
		}
		policy, err := getPolicy(ns, "route-policy")
		if err != nil {
			return err
		}
		for _, c := range policy.Status.Conditions {
			if want := "RateLimitPolicy is overridden by [" + ns + "/ceiling]."; c.Type == "Enforced" && c.Message != want {
				return fmt.Errorf("Enforced message %q, want %q", c.Message, want)
			}
		}
		return nil
	})
}

// TestRateLimitPolicyNotEnforcedWhereNotServed: a policy on a listener whose socket
// cannot be bound limits nothing, so it is not Enforced.
func TestRateLimitPolicyNotEnforcedWhereNotServed(t *testing.T) {
	t.Parallel()
	ensureClass(t)
	ns := newNamespace(t, nil)
	port := freshPort()
	publisher.FailBind(fmt.Sprintf(":%d", port), fmt.Errorf("bind: address already in use"))
	create(t, gateway(ns, "gw", port, gwapiv1.NamespacesFromSame))
	create(t, httpRoute(ns, "web", ns, "gw", nil, "/"))
	policy := rateLimitPolicy(ns, "listener", "Gateway", "gw", 5, "10s")
	policy.Spec.TargetRef.SectionName = ptr.To(gwapiv1.SectionName("http"))
	create(t, policy)
	eventually(t, "policy Accepted but not Enforced", func() error {
		return policyStatusIs(ns, "listener", "Accepted", "Unknown", "gw")
	})
}

// checkCreated checks the API server's answer to a create: accepted when want is
// empty, else refused with an error that contains want (a CRD validation message).
func checkCreated(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("create rejected: %v", err)
	case want != "" && err == nil:
		t.Fatalf("create accepted; want an error with %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Fatalf("error %q does not contain %q", err, want)
	}
}
