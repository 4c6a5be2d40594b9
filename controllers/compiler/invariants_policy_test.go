package compiler

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	tpv1a1 "github.com/turnpike-gateway/turnpike/api/v1alpha1"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// checkPolicies checks that policy status and the limits in the snapshot agree: a
// limit is served only from an accepted, enforced policy, only on sockets the policy
// reports, and a policy that is not accepted contributes nothing.
func checkPolicies(t *testing.T, snap *snapshot.Snapshot, report Report) {
	t.Helper()
	servedOn := map[string]map[string]bool{} // policy -> sockets where its limits are in a route
	for _, socket := range snap.Listeners {
		for _, gl := range socket.GatewayListeners {
			for _, vh := range gl.VirtualHosts {
				for _, route := range vh.Routes {
					for i, limit := range route.RateLimits {
						checkRateLimit(t, route.ID, limit)
						if i > 0 && (route.RateLimits[i-1].Policy+"/"+route.RateLimits[i-1].Name) >= (limit.Policy+"/"+limit.Name) {
							t.Errorf("route %s: rate limits not sorted or duplicated at %s/%s", route.ID, limit.Policy, limit.Name)
						}
						if servedOn[limit.Policy] == nil {
							servedOn[limit.Policy] = map[string]bool{}
						}
						servedOn[limit.Policy][socket.Key()] = true
					}
				}
			}
		}
	}
	for key, result := range report.RateLimitPolicies {
		where := "ratelimitpolicy " + key.String()
		checkConditions(t, where, result.Generation, result.Conditions)
		accepted := findCondition(result.Conditions, "Accepted")
		enforced := findCondition(result.Conditions, string(tpv1a1.PolicyConditionEnforced))
		if accepted == nil {
			t.Errorf("%s: no Accepted condition", where)
			continue
		}
		if accepted.Status != metav1.ConditionTrue && enforced != nil {
			t.Errorf("%s: not accepted but has an Enforced condition", where)
		}
		var reported []string
		for _, sockets := range result.Sockets {
			reported = append(reported, sockets...)
		}
		slices.Sort(reported)
		served := sortedKeys(servedOn[key.String()])
		if fmt.Sprint(reported) != fmt.Sprint(served) {
			t.Errorf("%s: reports its limits on sockets %v, the snapshot has them on %v", where, reported, served)
		}
		if (enforced != nil && enforced.Status == metav1.ConditionTrue) != (len(served) > 0) {
			t.Errorf("%s: Enforced %+v but served on %v", where, enforced, served)
		}
		for i, ancestor := range result.Ancestors {
			ancestorWhere := fmt.Sprintf("%s ancestor %d", where, i)
			checkConditions(t, ancestorWhere, result.Generation, ancestor.Conditions)
			if ancestor.ControllerName == "" || ancestor.AncestorRef.Namespace == nil || ancestor.AncestorRef.Kind == nil {
				t.Errorf("%s: needs a controller name and a Gateway with namespace and kind: %+v", ancestorWhere, ancestor)
			}
		}
		if len(result.Ancestors) > maxPolicyAncestors {
			t.Errorf("%s: %d ancestors, more than the API allows", where, len(result.Ancestors))
		}
	}
	for policy := range servedOn {
		namespace, name, _ := strings.Cut(policy, "/")
		if report.RateLimitPolicies[types.NamespacedName{Namespace: namespace, Name: name}] == nil {
			t.Errorf("snapshot serves limits of %s, which has no report", policy)
		}
	}
}

func checkRateLimit(t *testing.T, routeID string, limit *snapshot.RateLimit) {
	t.Helper()
	if limit.Policy == "" || limit.Name == "" || !strings.Contains(limit.CounterKey, "/"+limit.Name+"/") {
		t.Errorf("route %s: rate limit needs a policy, a name and a counter key naming it: %+v", routeID, limit)
	}
	if len(limit.Rates) == 0 {
		t.Errorf("route %s: rate limit %s/%s has no rates", routeID, limit.Policy, limit.Name)
	}
	for i, rate := range limit.Rates {
		if rate.Window <= 0 || rate.Limit < 0 {
			t.Errorf("route %s: rate limit %s/%s has rate %+v", routeID, limit.Policy, limit.Name, rate)
		}
		if i > 0 && limit.Rates[i-1].Window > rate.Window {
			t.Errorf("route %s: rate limit %s/%s rates are not ordered by window", routeID, limit.Policy, limit.Name)
		}
	}
	for _, expr := range slices.Concat(limit.When, limit.Counters) {
		if expr == nil || expr.Program == nil || expr.Source == "" {
			t.Errorf("route %s: rate limit %s/%s has an expression that is not compiled: %+v", routeID, limit.Policy, limit.Name, expr)
		}
	}
}
