package compiler

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	tpv1a1 "github.com/turnpike-gateway/turnpike/api/v1alpha1"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// servedPolicies records, per policy ("namespace/name"), the sockets where a rule
// naming it is in a route.
type servedPolicies map[string]map[string]bool

func (s servedPolicies) add(policy, socket string) {
	if s[policy] == nil {
		s[policy] = map[string]bool{}
	}
	s[policy][socket] = true
}

// checkPolicies checks that policy status and the rules in the snapshot agree: a
// rule is served only from an enforced policy (accepted, or an Invalid AuthPolicy's
// last valid version), only on sockets the policy reports; any other policy that
// is not accepted contributes nothing but, for an Invalid AuthPolicy with no valid
// version, routes that refuse every request.
func checkPolicies(t *testing.T, snap *snapshot.Snapshot, report Report) {
	t.Helper()
	limitsOn := servedPolicies{}
	authOn := servedPolicies{}
	authSockets := map[string]bool{} // sockets with a route that has Auth
	failingClosed := false           // a route has an Invalid Auth
	for _, socket := range snap.Listeners {
		for _, gl := range socket.GatewayListeners {
			x509Routes := false
			for _, vh := range gl.VirtualHosts {
				for _, route := range vh.Routes {
					for i, limit := range route.RateLimits {
						checkRateLimit(t, route.ID, limit)
						if i > 0 && (route.RateLimits[i-1].Policy+"/"+route.RateLimits[i-1].Name) >= (limit.Policy+"/"+limit.Name) {
							t.Errorf("route %s: rate limits not sorted or duplicated at %s/%s", route.ID, limit.Policy, limit.Name)
						}
						limitsOn.add(limit.Policy, socket.Key())
					}
					if route.Auth != nil {
						authSockets[socket.Key()] = true
						failingClosed = failingClosed || route.Auth.Invalid != ""
						x509Routes = checkAuth(t, route.ID, route.Auth, socket.Key(), authOn) || x509Routes
					}
				}
			}
			if gl.RequestClientCertificate && socket.Protocol != snapshot.ProtocolHTTPS {
				t.Errorf("listener %s/%s asks for client certificates on a %s socket", gl.Gateway, gl.Name, socket.Protocol)
			}
			if socket.Protocol == snapshot.ProtocolHTTPS && gl.RequestClientCertificate != x509Routes {
				t.Errorf("listener %s/%s: RequestClientCertificate %v, but a route with x509 auth: %v", gl.Gateway, gl.Name, gl.RequestClientCertificate, x509Routes)
			}
		}
	}
	checkPolicyResults(t, "ratelimitpolicy", report.RateLimitPolicies, limitsOn, nil)
	checkPolicyResults(t, "authpolicy", report.AuthPolicies, authOn, authSockets)
	if failingClosed && !slices.ContainsFunc(slices.Collect(maps.Values(report.AuthPolicies)), func(r *PolicyResult) bool {
		c := findCondition(r.Conditions, string(tpv1a1.PolicyConditionEnforced))
		return c != nil && c.Reason == "Invalid"
	}) {
		t.Errorf("a route refuses every request for an invalid AuthPolicy, but no AuthPolicy says so")
	}
}

// checkPolicyResults checks the reports of one kind against where its rules are
// served. Rules that name no policy (an AuthPolicy's custom denials and identity
// properties) may be all a policy has in force on a socket: with them, a report
// may name more sockets than served has, but only sockets in mayServe.
func checkPolicyResults(t *testing.T, kind string, results map[types.NamespacedName]*PolicyResult, served servedPolicies, mayServe map[string]bool) {
	t.Helper()
	for key, result := range results {
		where := kind + " " + key.String()
		checkConditions(t, where, result.Generation, result.Conditions)
		accepted := findCondition(result.Conditions, "Accepted")
		enforced := findCondition(result.Conditions, string(tpv1a1.PolicyConditionEnforced))
		if accepted == nil {
			t.Errorf("%s: no Accepted condition", where)
			continue
		}
		if accepted.Status != metav1.ConditionTrue && enforced != nil {
			// Only an Invalid AuthPolicy stands in for itself: with its last
			// valid version, which its Accepted message names, or failing
			// closed, which is never Enforced.
			switch {
			case kind != "authpolicy" || accepted.Reason != "Invalid":
				t.Errorf("%s: not accepted (%s) but has an Enforced condition", where, accepted.Reason)
			case enforced.Status == metav1.ConditionTrue && !strings.Contains(accepted.Message, "its last valid version, stays enforced"):
				t.Errorf("%s: Invalid and Enforced, but Accepted does not say which version is: %q", where, accepted.Message)
			case strings.Contains(accepted.Message, "No valid version of it is known") && enforced.Status == metav1.ConditionTrue:
				t.Errorf("%s: fails closed but says Enforced", where)
			}
		}
		var reported []string
		for _, sockets := range result.Sockets {
			reported = append(reported, sockets...)
		}
		slices.Sort(reported)
		got := sortedKeys(served[key.String()])
		for _, socket := range got {
			if !slices.Contains(reported, socket) {
				t.Errorf("%s: its rules are served on socket %s, which it does not report (reports %v)", where, socket, reported)
			}
		}
		for _, socket := range reported {
			if !slices.Contains(got, socket) && !mayServe[socket] {
				t.Errorf("%s: reports socket %s, where none of its rules is served (served on %v)", where, socket, got)
			}
		}
		if (enforced != nil && enforced.Status == metav1.ConditionTrue) != (len(reported) > 0) {
			t.Errorf("%s: Enforced %+v but reported on %v", where, enforced, reported)
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
	for policy := range served {
		namespace, name, _ := strings.Cut(policy, "/")
		result := results[types.NamespacedName{Namespace: namespace, Name: name}]
		if result == nil {
			t.Errorf("snapshot serves rules of %s %s, which has no report", kind, policy)
			continue
		}
		if c := findCondition(result.Conditions, string(tpv1a1.PolicyConditionEnforced)); c == nil || c.Status != metav1.ConditionTrue {
			t.Errorf("snapshot serves rules of %s %s, which is not enforced", kind, policy)
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
		checkExpression(t, fmt.Sprintf("route %s: rate limit %s/%s", routeID, limit.Policy, limit.Name), expr)
	}
}

func checkExpression(t *testing.T, where string, expr *snapshot.Expression) {
	t.Helper()
	if expr == nil || expr.Program == nil || expr.Source == "" {
		t.Errorf("%s has an expression that is not compiled: %+v", where, expr)
	}
}

// checkAuth checks one route's Auth: rules ordered by priority, policy and name,
// each with exactly one method and compiled expressions. It reports whether the
// route authenticates with x509.
func checkAuth(t *testing.T, routeID string, auth *snapshot.Auth, socket string, served servedPolicies) bool {
	t.Helper()
	if auth.Invalid != "" && (len(auth.Authentication)+len(auth.Authorization)+len(auth.SuccessHeaders)+len(auth.IdentityExtras) > 0 ||
		auth.Unauthenticated != nil || auth.Unauthorized != nil) {
		t.Errorf("route %s: Auth is Invalid but carries rules too: %+v", routeID, auth)
	}
	x509 := false
	checkRule := func(kind string, i int, rule, previous *snapshot.AuthRule) {
		where := fmt.Sprintf("route %s: %s %s/%s", routeID, kind, rule.Policy, rule.Name)
		if rule.Policy == "" || rule.Name == "" {
			t.Errorf("%s: needs a policy and a name", where)
		}
		if i > 0 && compareAuthRules(previous, rule) >= 0 {
			t.Errorf("%s: not after %s/%s by priority, policy and name", where, previous.Policy, previous.Name)
		}
		for _, expr := range slices.Concat(rule.PolicyWhen, rule.When) {
			checkExpression(t, where, expr)
		}
		served.add(rule.Policy, socket)
	}
	for i, a := range auth.Authentication {
		var previous *snapshot.AuthRule
		if i > 0 {
			previous = &auth.Authentication[i-1].AuthRule
		}
		checkRule("authenticator", i, &a.AuthRule, previous)
		methods := 0
		for _, set := range []bool{a.APIKey != nil, a.JWT != nil, a.X509 != nil, a.Introspection != nil, a.Anonymous} {
			if set {
				methods++
			}
		}
		if methods != 1 {
			t.Errorf("route %s: authenticator %s/%s has %d methods, want 1", routeID, a.Policy, a.Name, methods)
		}
		if a.Credentials.Source == "" || a.Credentials.Name == "" {
			t.Errorf("route %s: authenticator %s/%s has no credential source: %+v", routeID, a.Policy, a.Name, a.Credentials)
		}
		x509 = x509 || a.X509 != nil
	}
	for i, a := range auth.Authorization {
		var previous *snapshot.AuthRule
		if i > 0 {
			previous = &auth.Authorization[i-1].AuthRule
		}
		checkRule("authorizer", i, &a.AuthRule, previous)
		if len(a.Conditions) == 0 {
			t.Errorf("route %s: authorizer %s/%s checks nothing", routeID, a.Policy, a.Name)
		}
		for _, c := range a.Conditions {
			checkExpression(t, fmt.Sprintf("route %s: authorizer %s/%s", routeID, a.Policy, a.Name), c.Expression)
		}
	}
	for i, h := range auth.SuccessHeaders {
		if prev := auth.SuccessHeaders[max(i-1, 0)]; i > 0 && cmp.Or(cmp.Compare(strings.ToLower(prev.Name), strings.ToLower(h.Name)),
			cmp.Compare(prev.Policy, h.Policy), cmp.Compare(prev.Name, h.Name)) >= 0 {
			t.Errorf("route %s: success headers not sorted or duplicated at %s", routeID, h.Name)
		}
		if (h.Plain == nil) == (h.JSON == nil) {
			t.Errorf("route %s: success header %s needs exactly one of plain and json", routeID, h.Name)
		}
		served.add(h.Policy, socket)
	}
	for i, extra := range auth.IdentityExtras {
		if i > 0 && auth.IdentityExtras[i-1].Name >= extra.Name {
			t.Errorf("route %s: identity properties not sorted or duplicated at %s", routeID, extra.Name)
		}
	}
	return x509
}
