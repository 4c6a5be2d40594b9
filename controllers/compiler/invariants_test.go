package compiler

import (
	"fmt"
	"net/textproto"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// checkInvariants checks what must hold for every compile, whatever the input: the
// snapshot is ordered the way the data plane relies on, and the report agrees with
// the snapshot. It runs on every golden case, so a golden file cannot quietly encode
// a broken snapshot.
func checkInvariants(t *testing.T, snap *snapshot.Snapshot, report Report) {
	t.Helper()
	served := map[string]bool{} // "gateway/listener" -> in the snapshot
	for i, socket := range snap.Listeners {
		if i > 0 && snap.Listeners[i-1].Key() >= socket.Key() {
			t.Errorf("sockets not sorted by key: %s before %s", snap.Listeners[i-1].Key(), socket.Key())
		}
		if len(socket.GatewayListeners) == 0 {
			t.Errorf("socket %s has no gateway listeners", socket.Key())
		}
		for j, gl := range socket.GatewayListeners {
			if j > 0 && compareHostnameSpecificity(socket.GatewayListeners[j-1].Hostname, gl.Hostname) >= 0 {
				t.Errorf("socket %s: listener hostnames %q then %q are not most specific first",
					socket.Key(), socket.GatewayListeners[j-1].Hostname, gl.Hostname)
			}
			served[gl.Gateway+"/"+gl.Name] = true
			checkServedListener(t, socket, gl, report)
			checkVirtualHosts(t, gl)
		}
	}
	for key, result := range report.Gateways {
		for name, socketKey := range result.Sockets {
			if !served[key.String()+"/"+string(name)] {
				t.Errorf("gateway %s listener %s reports socket %s but is not in the snapshot", key, name, socketKey)
			}
		}
		checkConditions(t, "gateway "+key.String(), result.Generation, result.Conditions)
		for _, l := range result.Listeners {
			checkConditions(t, fmt.Sprintf("gateway %s listener %s", key, l.Name), result.Generation, l.Conditions)
			if l.AttachedRoutes > int32(len(report.HTTPRoutes)) {
				t.Errorf("gateway %s listener %s counts %d attached routes of %d", key, l.Name, l.AttachedRoutes, len(report.HTTPRoutes))
			}
		}
	}
	for name, result := range report.GatewayClasses {
		checkConditions(t, "gatewayclass "+name, result.Generation, result.Conditions)
	}
	for key, result := range report.HTTPRoutes {
		checkRouteResult(t, key, result)
	}
	checkPolicies(t, snap, report)
}

func checkServedListener(t *testing.T, socket *snapshot.Listener, gl *snapshot.GatewayListener, report Report) {
	t.Helper()
	namespace, name, _ := strings.Cut(gl.Gateway, "/")
	result := report.Gateways[types.NamespacedName{Namespace: namespace, Name: name}]
	if result == nil {
		t.Errorf("socket %s serves gateway %s, which has no report", socket.Key(), gl.Gateway)
		return
	}
	if got := result.Sockets[gwapiv1.SectionName(gl.Name)]; got != socket.Key() {
		t.Errorf("gateway %s listener %s is on socket %s but reports %q", gl.Gateway, gl.Name, socket.Key(), got)
	}
	for _, l := range result.Listeners {
		if string(l.Name) != gl.Name {
			continue
		}
		if c := findCondition(l.Conditions, "Programmed"); c == nil || c.Status != metav1.ConditionTrue {
			t.Errorf("gateway %s listener %s is served but not Programmed", gl.Gateway, gl.Name)
		}
		return
	}
	t.Errorf("gateway %s has no status for served listener %s", gl.Gateway, gl.Name)
}

func checkVirtualHosts(t *testing.T, gl *snapshot.GatewayListener) {
	t.Helper()
	where := gl.Gateway + "/" + gl.Name
	for i, vh := range gl.VirtualHosts {
		if i > 0 && compareHostnameSpecificity(gl.VirtualHosts[i-1].Hostname, vh.Hostname) >= 0 {
			t.Errorf("%s: virtual hosts %q then %q are not most specific first", where, gl.VirtualHosts[i-1].Hostname, vh.Hostname)
		}
		if gl.Hostname != "" && vh.Hostname != gl.Hostname && !(isWildcard(gl.Hostname) && wildcardMatches(gl.Hostname, vh.Hostname)) {
			t.Errorf("%s: virtual host %q is outside listener hostname %q", where, vh.Hostname, gl.Hostname)
		}
		if len(vh.Routes) == 0 {
			t.Errorf("%s: virtual host %q has no routes", where, vh.Hostname)
		}
		for j, route := range vh.Routes {
			checkRoute(t, where, route)
			if j > 0 {
				prev := vh.Routes[j-1]
				if pathRank(prev.Path.Type) > pathRank(route.Path.Type) ||
					(pathRank(prev.Path.Type) == pathRank(route.Path.Type) && len(prev.Path.Value) < len(route.Path.Value)) {
					t.Errorf("%s %q: route %s precedes %s against path precedence", where, vh.Hostname, prev.ID, route.ID)
				}
			}
		}
	}
}

func checkRoute(t *testing.T, where string, route *snapshot.Route) {
	t.Helper()
	wantID := fmt.Sprintf("httproute/%s/%s/rule/%d/match/", route.RouteNamespace, route.RouteName, route.RuleIndex)
	if !strings.HasPrefix(route.ID, wantID) {
		t.Errorf("%s: route ID %q does not name its route and rule", where, route.ID)
	}
	path := route.Path
	switch path.Type {
	case snapshot.PathExact, snapshot.PathPrefix:
		if path.Regex != nil || !strings.HasPrefix(path.Value, "/") {
			t.Errorf("%s: route %s has path %+v", where, route.ID, path)
		}
		if path.Type == snapshot.PathPrefix && path.Value != "/" && strings.HasSuffix(path.Value, "/") {
			t.Errorf("%s: route %s prefix %q ends in /", where, route.ID, path.Value)
		}
	case snapshot.PathRegularExpression:
		checkAnchored(t, where+" "+route.ID+" path", path.Value, path.Regex)
	default:
		t.Errorf("%s: route %s has path type %q", where, route.ID, path.Type)
	}
	for _, h := range route.Headers {
		if h.Name != textproto.CanonicalMIMEHeaderKey(h.Name) {
			t.Errorf("%s: route %s header %q is not canonical", where, route.ID, h.Name)
		}
		if h.Type == snapshot.MatchRegularExpression {
			checkAnchored(t, where+" "+route.ID+" header "+h.Name, h.Value, h.Regex)
		} else if h.Regex != nil {
			t.Errorf("%s: route %s exact header %s has a regexp", where, route.ID, h.Name)
		}
	}
	for _, q := range route.QueryParams {
		if q.Type == snapshot.MatchRegularExpression {
			checkAnchored(t, where+" "+route.ID+" query "+q.Name, q.Value, q.Regex)
		}
	}
	for _, b := range route.Backends {
		if b.Invalid != "" && len(b.Endpoints) > 0 {
			t.Errorf("%s: route %s backend %s is invalid but has endpoints", where, route.ID, b.Name)
		}
	}
}

func checkAnchored(t *testing.T, where, value string, regex interface{ String() string }) {
	t.Helper()
	if regex == nil || regex.String() != "^(?:"+value+")$" {
		t.Errorf("%s: regexp for %q is %v, want it anchored", where, value, regex)
	}
}

func checkConditions(t *testing.T, where string, generation int64, conditions []metav1.Condition) {
	t.Helper()
	seen := map[string]bool{}
	for _, c := range conditions {
		if seen[c.Type] {
			t.Errorf("%s: condition %s appears twice", where, c.Type)
		}
		seen[c.Type] = true
		if c.ObservedGeneration != generation || !c.LastTransitionTime.IsZero() || c.Reason == "" || c.Message == "" {
			t.Errorf("%s: condition %+v needs observedGeneration %d, a zero transition time, a reason and a message",
				where, c, generation)
		}
		if !strings.HasSuffix(c.Message, ".") {
			t.Errorf("%s: condition %s message %q is not a full sentence", where, c.Type, c.Message)
		}
	}
}

func checkRouteResult(t *testing.T, key types.NamespacedName, result *HTTPRouteResult) {
	t.Helper()
	if len(result.Parents) == 0 {
		t.Errorf("route %s is reported with no parents", key)
	}
	for i, parent := range result.Parents {
		where := fmt.Sprintf("route %s parent %d", key, i)
		checkConditions(t, where, result.Generation, parent.Conditions)
		if parent.ControllerName == "" || parent.ParentRef.Group == nil || parent.ParentRef.Kind == nil {
			t.Errorf("%s: needs a controller name and a defaulted group and kind: %+v", where, parent)
		}
		accepted := findCondition(parent.Conditions, "Accepted")
		if accepted == nil || findCondition(parent.Conditions, "ResolvedRefs") == nil {
			t.Errorf("%s: needs Accepted and ResolvedRefs conditions", where)
			continue
		}
		if partial := findCondition(parent.Conditions, "PartiallyInvalid"); partial != nil &&
			(accepted.Status != metav1.ConditionTrue || !strings.HasPrefix(partial.Message, "Dropped Rule")) {
			t.Errorf("%s: PartiallyInvalid needs Accepted=True and a \"Dropped Rule\" message: %+v", where, partial)
		}
	}
}
