package compiler

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	tpv1a1 "github.com/turnpike-gateway/turnpike/api/v1alpha1"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// renderSnapshot is the golden rendering of a snapshot alone.
func renderSnapshot(t *testing.T, snap *snapshot.Snapshot) string {
	t.Helper()
	return string(renderOutput(t, snap, Report{}))
}

// brokenEdit returns the next generation of a policy with a CEL typo in its
// top-level `when`: an edit that makes it Invalid.
func brokenEdit(p *tpv1a1.AuthPolicy) *tpv1a1.AuthPolicy {
	broken := p.DeepCopy()
	broken.Generation++
	broken.Spec.When = append(broken.Spec.When, tpv1a1.WhenPredicate{Predicate: "request.path.startsWith("})
	return broken
}

// replacePolicy returns in with the AuthPolicy of the same name replaced.
func replacePolicy(in Input, policy *tpv1a1.AuthPolicy) Input {
	out := in
	out.AuthPolicies = nil
	for _, p := range in.AuthPolicies {
		if p.Namespace == policy.Namespace && p.Name == policy.Name {
			p = policy
		}
		out.AuthPolicies = append(out.AuthPolicies, p)
	}
	return out
}

func conditionOf(t *testing.T, report Report, key types.NamespacedName, conditionType string) metav1.Condition {
	t.Helper()
	result := report.AuthPolicies[key]
	if result == nil {
		t.Fatalf("no report for AuthPolicy %s", key)
	}
	c := findCondition(result.Conditions, conditionType)
	if c == nil {
		t.Fatalf("AuthPolicy %s has no %s condition: %+v", key, conditionType, result.Conditions)
	}
	return *c
}

// TestInvalidAuthPolicyKeepsLastValidVersion: an edit that breaks a policy leaves
// its last valid version in force, exactly as it was served, while status says
// the new generation is Invalid and which generation is enforced.
func TestInvalidAuthPolicyKeepsLastValidVersion(t *testing.T) {
	t.Parallel()
	base := loadInput(t, "testdata/authpolicy-route.in.yaml")
	valid := findAuthPolicy(t, base, "store")
	key := types.NamespacedName{Namespace: "default", Name: "store"}
	wantSnap, _ := Compile(base)
	wantKeys := keyHolders(authenticator(t, authOn(t, wantSnap, "store"), "api-key-users").APIKey.Keys, "key-alice", "key-bob")

	in := replacePolicy(base, brokenEdit(valid))
	in.LastValidAuthPolicies = map[types.NamespacedName]*tpv1a1.AuthPolicy{key: valid}
	untouched := valid.DeepCopy()
	snap, report := Compile(in)
	checkInvariants(t, snap, report)

	if diff := cmp.Diff(renderSnapshot(t, wantSnap), renderSnapshot(t, snap)); diff != "" {
		t.Errorf("the snapshot is not the one of the last valid version (-want +got):\n%s", diff)
	}
	gotKeys := keyHolders(authenticator(t, authOn(t, snap, "store"), "api-key-users").APIKey.Keys, "key-alice", "key-bob")
	if diff := cmp.Diff(wantKeys, gotKeys); diff != "" {
		t.Errorf("API keys (-want +got):\n%s", diff)
	}
	accepted := conditionOf(t, report, key, "Accepted")
	if accepted.Status != metav1.ConditionFalse || accepted.Reason != "Invalid" || accepted.ObservedGeneration != 3 ||
		!strings.Contains(accepted.Message, "spec.when[1].predicate") ||
		!strings.HasSuffix(accepted.Message, " Generation 2, its last valid version, stays enforced until this is fixed.") {
		t.Errorf("Accepted = %+v; want Invalid for generation 3, naming the problem and the generation enforced", accepted)
	}
	enforced := conditionOf(t, report, key, "Enforced")
	if enforced.Status != metav1.ConditionTrue || enforced.Reason != "Enforced" || enforced.ObservedGeneration != 3 ||
		!strings.HasPrefix(enforced.Message, "The last valid version of the AuthPolicy (generation 2) is enforced.") {
		t.Errorf("Enforced = %+v; want True, saying generation 2 is", enforced)
	}
	if got := report.AuthPolicies[key].Sockets; !cmp.Equal(got, map[string][]string{"default/gw": {":80"}}) {
		t.Errorf("sockets %v; the last valid version is served on :80", got)
	}
	if !cmp.Equal(untouched, valid) {
		t.Error("Compile modified the last valid version it was given")
	}
}

// TestInvalidAuthPolicyWithoutUsableLastVersion: the last valid version stands in
// only if it is the same object and still compiles today; otherwise the policy
// fails closed.
func TestInvalidAuthPolicyWithoutUsableLastVersion(t *testing.T) {
	t.Parallel()
	key := types.NamespacedName{Namespace: "default", Name: "store"}
	tests := []struct {
		name string
		// edit returns the input and what the caller remembers.
		edit func(t *testing.T, base Input) (Input, map[types.NamespacedName]*tpv1a1.AuthPolicy)
	}{
		{"nothing remembered", func(t *testing.T, base Input) (Input, map[types.NamespacedName]*tpv1a1.AuthPolicy) {
			return replacePolicy(base, brokenEdit(findAuthPolicy(t, base, "store"))), nil
		}},
		{"another object of the same name", func(t *testing.T, base Input) (Input, map[types.NamespacedName]*tpv1a1.AuthPolicy) {
			valid := findAuthPolicy(t, base, "store")
			recreated := brokenEdit(valid)
			recreated.UID, recreated.Generation = "00000000-0000-0000-0000-0000000000f2", 1
			return replacePolicy(base, recreated), map[types.NamespacedName]*tpv1a1.AuthPolicy{key: valid}
		}},
		{"the last version needs a Secret that is gone", func(t *testing.T, base Input) (Input, map[types.NamespacedName]*tpv1a1.AuthPolicy) {
			valid := findAuthPolicy(t, base, "store")
			in := replacePolicy(base, brokenEdit(valid))
			in.Secrets = nil
			for _, s := range base.Secrets {
				if s.Name != "introspection-client" {
					in.Secrets = append(in.Secrets, s)
				}
			}
			return in, map[types.NamespacedName]*tpv1a1.AuthPolicy{key: valid}
		}},
		{"the Secret goes and the policy stays as it was", func(t *testing.T, base Input) (Input, map[types.NamespacedName]*tpv1a1.AuthPolicy) {
			valid := findAuthPolicy(t, base, "store")
			in := base
			in.Secrets = nil
			for _, s := range base.Secrets {
				if s.Name != "introspection-client" {
					in.Secrets = append(in.Secrets, s)
				}
			}
			return in, map[types.NamespacedName]*tpv1a1.AuthPolicy{key: valid}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in, remembered := tt.edit(t, loadInput(t, "testdata/authpolicy-route.in.yaml"))
			in.LastValidAuthPolicies = remembered
			snap, report := Compile(in)
			checkInvariants(t, snap, report)
			auth := authOn(t, snap, "store")
			if want := "AuthPolicy default/store is invalid and no valid version of it is known; its status says what to fix."; auth == nil || auth.Invalid != want {
				t.Fatalf("route store has Auth %+v; want it Invalid (%q)", auth, want)
			}
			accepted := conditionOf(t, report, key, "Accepted")
			if accepted.Reason != "Invalid" || !strings.HasSuffix(accepted.Message,
				" No valid version of it is known, so the routes where it is in force answer every request with 500 until it is fixed.") {
				t.Errorf("Accepted = %+v; want Invalid, saying its routes answer 500", accepted)
			}
			enforced := conditionOf(t, report, key, "Enforced")
			if enforced.Status != metav1.ConditionFalse || enforced.Reason != "Invalid" {
				t.Errorf("Enforced = %+v; want False, reason Invalid", enforced)
			}
			if sockets := report.AuthPolicies[key].Sockets; len(sockets) != 0 {
				t.Errorf("sockets %v; a policy that fails closed enforces nothing", sockets)
			}
		})
	}
}

// TestInvalidAuthPolicyLastVersionKeepsItsTarget: an edit that breaks a policy
// and points it elsewhere leaves the old target protected by the old rules, and
// the new target as it was.
func TestInvalidAuthPolicyLastVersionKeepsItsTarget(t *testing.T) {
	t.Parallel()
	base := loadInput(t, "testdata/authpolicy-defaults-overrides.in.yaml")
	wantSnap, _ := Compile(base)
	valid := findAuthPolicy(t, base, "a-auth")
	moved := brokenEdit(valid)
	moved.Spec.TargetRef.Name = "b"
	in := replacePolicy(base, moved)
	in.LastValidAuthPolicies = map[types.NamespacedName]*tpv1a1.AuthPolicy{{Namespace: "default", Name: "a-auth"}: valid}
	snap, report := Compile(in)
	checkInvariants(t, snap, report)
	if diff := cmp.Diff(renderSnapshot(t, wantSnap), renderSnapshot(t, snap)); diff != "" {
		t.Errorf("the snapshot is not the one of the last valid version (-want +got):\n%s", diff)
	}
	result := report.AuthPolicies[types.NamespacedName{Namespace: "default", Name: "a-auth"}]
	if len(result.Ancestors) != 1 || result.Ancestors[0].AncestorRef.Name != "gw-merge" {
		t.Errorf("ancestors %+v; want the Gateway of the route still protected", result.Ancestors)
	}
}

// TestInvalidAuthPolicyReplacedChangesNothingElse: an invalid policy with no valid
// version, replaced on every route by more specific policies (it holds atomic
// defaults), leaves the snapshot and every other object's status exactly as
// before, and says it is overridden.
func TestInvalidAuthPolicyReplacedChangesNothingElse(t *testing.T) {
	t.Parallel()
	in := loadInput(t, "testdata/authpolicy-defaults-overrides.in.yaml")
	wantSnap, wantReport := Compile(in)
	want := string(renderOutput(t, wantSnap, wantReport))

	// Older than gw-atomic-defaults on the same Gateway, so less specific: every
	// route of gw-atomic has a policy that replaces it.
	broken := brokenEdit(findAuthPolicy(t, in, "gw-atomic-defaults"))
	broken.Name = "broken"
	broken.CreationTimestamp = metav1.Date(2024, 1, 31, 0, 0, 0, 0, broken.CreationTimestamp.Location())
	in.AuthPolicies = append(in.AuthPolicies, broken)
	snap, report := Compile(in)
	checkInvariants(t, snap, report)

	brokenKey := types.NamespacedName{Namespace: "default", Name: "broken"}
	if accepted := conditionOf(t, report, brokenKey, "Accepted"); accepted.Reason != "Invalid" || !strings.Contains(accepted.Message, "spec.when[0].predicate") {
		t.Fatalf("broken policy Accepted = %+v, want Invalid naming the predicate", accepted)
	}
	enforced := conditionOf(t, report, brokenKey, "Enforced")
	if enforced.Status != metav1.ConditionFalse || enforced.Reason != "Overridden" ||
		!strings.Contains(enforced.Message, "[default/admin-listener default/c-auth default/gw-atomic-defaults]") {
		t.Errorf("broken policy Enforced = %+v, want Overridden by the policies in force instead", enforced)
	}
	delete(report.AuthPolicies, brokenKey)
	if diff := cmp.Diff(want, string(renderOutput(t, snap, report))); diff != "" {
		t.Errorf("an invalid policy changed what others serve or report (-without +with):\n%s", diff)
	}
}
