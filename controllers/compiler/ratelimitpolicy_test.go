package compiler

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/types"

	tpv1a1 "github.com/turnpike-gateway/turnpike/api/v1alpha1"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// limitsOn returns "policy/name" of every rate limit on the snapshot routes of an
// HTTPRoute served on a port, deduplicated in route order.
func limitsOn(snap *snapshot.Snapshot, port int32, route string) []string {
	var out []string
	seen := map[string]bool{}
	for _, socket := range snap.Listeners {
		if socket.Port != port {
			continue
		}
		for _, gl := range socket.GatewayListeners {
			for _, vh := range gl.VirtualHosts {
				for _, r := range vh.Routes {
					if r.RouteName != route {
						continue
					}
					for _, l := range r.RateLimits {
						if id := l.Policy + "/" + l.Name; !seen[id] {
							seen[id] = true
							out = append(out, id)
						}
					}
				}
			}
		}
	}
	return out
}

func findPolicy(t *testing.T, in Input, name string) *tpv1a1.RateLimitPolicy {
	t.Helper()
	for _, p := range in.RateLimitPolicies {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no RateLimitPolicy %q in the input", name)
	return nil
}

func counterKeys(snap *snapshot.Snapshot) map[string]string {
	keys := map[string]string{}
	for _, socket := range snap.Listeners {
		for _, gl := range socket.GatewayListeners {
			for _, vh := range gl.VirtualHosts {
				for _, r := range vh.Routes {
					for _, l := range r.RateLimits {
						keys[l.Policy+"/"+l.Name] = l.CounterKey
					}
				}
			}
		}
	}
	return keys
}

// TestCounterKeysSurviveUnrelatedChanges: counters outlive a swap when the limit
// itself did not change, so its key must depend on the limit's rates and nothing
// else of the policy; listing the rates in another order is no change.
func TestCounterKeysSurviveUnrelatedChanges(t *testing.T) {
	t.Parallel()
	base := loadInput(t, "testdata/ratelimit-route.in.yaml")
	before, _ := Compile(base)
	want := counterKeys(before)

	edited := deepCopyInput(base)
	store := findPolicy(t, edited, "store")
	store.Generation++
	store.Spec.When = nil // another predicate, same limits
	perIP := store.Spec.Limits["per-ip"]
	perIP.Rates[0], perIP.Rates[1] = perIP.Rates[1], perIP.Rates[0]
	store.Spec.Limits["per-ip"] = perIP
	after, _ := Compile(edited)
	if diff := cmp.Diff(want, counterKeys(after)); diff != "" {
		t.Errorf("counter keys changed though the limits did not (-before +after):\n%s", diff)
	}

	changed := deepCopyInput(base)
	perKey := findPolicy(t, changed, "store").Spec.Limits["per-key"]
	perKey.Rates[0].Limit = 200
	after, _ = Compile(changed)
	got := counterKeys(after)
	if got["default/store/per-key"] == want["default/store/per-key"] {
		t.Errorf("counter key of per-key stayed %q after its rate changed", got["default/store/per-key"])
	}
	if got["default/store/per-ip"] != want["default/store/per-ip"] {
		t.Errorf("counter key of per-ip changed with another limit's rate: %q -> %q", want["default/store/per-ip"], got["default/store/per-ip"])
	}
}

// TestInvalidPolicyChangesNothingElse: adding a policy whose expression does not
// compile leaves the snapshot and every other object's status exactly as before.
func TestInvalidPolicyChangesNothingElse(t *testing.T) {
	t.Parallel()
	in := loadInput(t, "testdata/ratelimit-defaults-overrides.in.yaml")
	wantSnap, wantReport := Compile(in)
	want := string(renderOutput(t, wantSnap, wantReport))

	broken := findPolicy(t, in, "gw-overrides").DeepCopy()
	broken.Name, broken.UID = "broken", "00000000-0000-0000-0000-0000000000bb"
	broken.Spec.Overrides.When = []tpv1a1.WhenPredicate{{Predicate: "request.path.startsWith("}}
	in.RateLimitPolicies = append(in.RateLimitPolicies, broken)
	snap, report := Compile(in)

	brokenKey := types.NamespacedName{Namespace: "default", Name: "broken"}
	result := report.RateLimitPolicies[brokenKey]
	accepted := findCondition(result.Conditions, "Accepted")
	if accepted == nil || accepted.Reason != "Invalid" || !strings.Contains(accepted.Message, "Syntax error") {
		t.Fatalf("broken policy Accepted = %+v, want Invalid with the CEL compiler's message", accepted)
	}
	delete(report.RateLimitPolicies, brokenKey)
	if diff := cmp.Diff(want, string(renderOutput(t, snap, report))); diff != "" {
		t.Errorf("an invalid policy changed what others serve or report (-without +with):\n%s", diff)
	}
}

func TestEffectiveLimits(t *testing.T) {
	t.Parallel()
	policy := func(name string, overrides bool, strategy tpv1a1.MergeStrategy, limits ...string) *rateLimitPolicyState {
		p := &rateLimitPolicyState{
			policyState: policyState{key: types.NamespacedName{Namespace: "ns", Name: name}},
			overrides:   overrides, strategy: strategy, limits: map[string]*snapshot.RateLimit{}, names: limits,
		}
		for _, limit := range limits {
			p.limits[limit] = &snapshot.RateLimit{Policy: "ns/" + name, Name: limit}
		}
		return p
	}
	atomic, merge := tpv1a1.MergeStrategyAtomic, tpv1a1.MergeStrategyMerge
	tests := []struct {
		name  string
		chain []*rateLimitPolicyState // least specific first
		want  []string                // "policy/limit", sorted
	}{
		{"one policy", []*rateLimitPolicyState{policy("r", false, atomic, "a", "b")}, []string{"ns/r/a", "ns/r/b"}},
		{"atomic defaults yield to a more specific policy",
			[]*rateLimitPolicyState{policy("g", false, atomic, "a", "x"), policy("r", false, atomic, "a")}, []string{"ns/r/a"}},
		{"merge defaults fill in names the more specific policy lacks",
			[]*rateLimitPolicyState{policy("g", false, merge, "a", "x"), policy("r", false, atomic, "a")}, []string{"ns/g/x", "ns/r/a"}},
		{"atomic overrides replace everything below",
			[]*rateLimitPolicyState{policy("g", true, atomic, "x"), policy("r", false, atomic, "a", "b")}, []string{"ns/g/x"}},
		{"merge overrides replace names they share",
			[]*rateLimitPolicyState{policy("g", true, merge, "a"), policy("r", false, atomic, "a", "b")}, []string{"ns/g/a", "ns/r/b"}},
		{"the least specific override has the last word",
			[]*rateLimitPolicyState{policy("g", true, atomic, "g"), policy("l", true, atomic, "l"), policy("r", false, atomic, "r")},
			[]string{"ns/g/g"}},
		{"merge defaults above an override add to what the override left",
			[]*rateLimitPolicyState{policy("g", false, merge, "g"), policy("l", true, atomic, "l"), policy("r", false, atomic, "r")},
			[]string{"ns/g/g", "ns/l/l"}},
		{"the most specific policy's own strategy does not matter",
			[]*rateLimitPolicyState{policy("g", false, atomic, "g"), policy("r", true, merge, "r")}, []string{"ns/r/r"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, limit := range sortedRateLimits(effectiveLimits(tt.chain)) {
				got = append(got, limit.Policy+"/"+limit.Name)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("effective limits (-want +got):\n%s", diff)
			}
		})
	}
}

// TestApplyPublishResultTakesBackEnforced: a policy whose limits are only on a
// socket that could not be bound limits nothing, so it is not Enforced there.
func TestApplyPublishResultTakesBackEnforced(t *testing.T) {
	t.Parallel()
	in := loadInput(t, "testdata/ratelimit-defaults-overrides.in.yaml")
	_, report := Compile(in)
	ApplyPublishResult(&report, snapshot.PublishResult{BindErrors: map[string]error{
		":82": errors.New("bind: address already in use"), // gw-overrides' only listener
		":81": errors.New("bind: address already in use"), // gw-defaults' admin listener
	}})
	enforced := func(name string) conditionSummary {
		t.Helper()
		result := report.RateLimitPolicies[types.NamespacedName{Namespace: "default", Name: name}]
		c := findCondition(result.Conditions, "Enforced")
		if c == nil {
			t.Fatalf("%s has no Enforced condition", name)
		}
		for _, ancestor := range result.Ancestors {
			a := findCondition(ancestor.Conditions, "Enforced")
			if a == nil || a.Status != c.Status || a.Reason != c.Reason {
				t.Errorf("%s: ancestor %s Enforced %+v, top level %+v", name, ancestor.AncestorRef.Name, a, c)
			}
		}
		return conditionSummary{c.Type, string(c.Status), c.Reason}
	}
	notServed := conditionSummary{"Enforced", "False", "Unknown"}
	for name, want := range map[string]conditionSummary{
		"gw-overrides":      notServed,
		"gw-defaults-admin": notServed,
		"gw-defaults":       {"Enforced", "True", "Enforced"}, // still on :80
		"c":                 {"Enforced", "False", "Overridden"},
	} {
		if got := enforced(name); got != want {
			t.Errorf("%s: Enforced = %+v, want %+v", name, got, want)
		}
	}
}
