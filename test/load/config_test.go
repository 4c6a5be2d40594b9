package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	tpv1a1 "github.com/turnpike-gateway/turnpike/api/v1alpha1"
	"github.com/turnpike-gateway/turnpike/controllers/compiler"
	"github.com/turnpike-gateway/turnpike/controllers/standalone"
)

// TestRouteSetLoadsAndCompilesCleanly runs the generated YAML through the very
// loader and compiler `turnpike standalone` uses: every object must load without
// error, every route must attach and resolve its backend, and every route's
// request must be the one its hostname and path select.
func TestRouteSetLoadsAndCompilesCleanly(t *testing.T) {
	t.Parallel()
	limit := int64(7)
	tests := []struct {
		name string
		set  routeSet
	}{
		{name: "one route for every request", set: routeSet{routes: 1}},
		{name: "many routes with hostnames", set: routeSet{routes: 25, hostnames: true}},
		{name: "one route with a rate limit", set: routeSet{routes: 1, rateLimit: &limit}},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			set := test.set
			set.listenerPort, set.backendPort = 18080, 19090
			dir := t.TempDir()
			if err := set.write(dir); err != nil {
				t.Fatalf("write: %v", err)
			}
			in, errs := standalone.Load(dir)
			if len(errs) > 0 {
				t.Fatalf("the loader rejects the generated configuration: %v", errs)
			}
			if len(in.HTTPRoutes) != set.routes || len(in.Services) != set.routes || len(in.EndpointSlices) != set.routes {
				t.Fatalf("loaded %d routes, %d Services, %d EndpointSlices; want %d of each",
					len(in.HTTPRoutes), len(in.Services), len(in.EndpointSlices), set.routes)
			}
			_, report := compiler.Compile(in)
			gateway := report.Gateways[types.NamespacedName{Namespace: configNamespace, Name: gatewayName}]
			if gateway == nil || len(gateway.Listeners) != 1 || gateway.Listeners[0].AttachedRoutes != int32(set.routes) {
				t.Fatalf("gateway status %+v, want one listener with %d attached routes", gateway, set.routes)
			}
			if !hasCondition(gateway.Conditions, "Programmed") {
				t.Errorf("gateway conditions %+v, want Programmed=True", gateway.Conditions)
			}
			for key, route := range report.HTTPRoutes {
				for _, parent := range route.Parents {
					for _, condition := range []string{"Accepted", "ResolvedRefs"} {
						if !hasCondition(parent.Conditions, condition) {
							t.Errorf("route %s: conditions %+v, want %s=True", key, parent.Conditions, condition)
						}
					}
				}
			}
			if set.rateLimit != nil {
				policy := report.RateLimitPolicies[types.NamespacedName{Namespace: configNamespace, Name: rateLimitName}]
				if policy == nil || !hasCondition(policy.Conditions, "Accepted") {
					t.Errorf("rate-limit policy status %+v, want Accepted=True", policy)
				}
			}
			for i := range set.routes {
				host, path := set.requestFor(i)
				route := in.HTTPRoutes[slices.IndexFunc(in.HTTPRoutes, func(r *gwapiv1.HTTPRoute) bool { return r.Name == routeName(i) })]
				match := *route.Spec.Rules[0].Matches[0].Path.Value
				if !strings.HasPrefix(path, match) || (match != "/" && path != match && path[len(match)] != '/') {
					t.Errorf("route %d: request path %q is not under its prefix %q", i, path, match)
				}
				if set.hostnames && (len(route.Spec.Hostnames) != 1 || string(route.Spec.Hostnames[0]) != host) {
					t.Errorf("route %d: hostnames %v, want [%s]", i, route.Spec.Hostnames, host)
				}
			}
		})
	}
}

func hasCondition(conditions []metav1.Condition, conditionType string) bool {
	for _, condition := range conditions {
		if condition.Type == conditionType && condition.Status == metav1.ConditionTrue {
			return true
		}
	}
	return false
}

func TestRouteSetRequestsMatchOneRouteOnly(t *testing.T) {
	t.Parallel()
	set := routeSet{routes: 12, hostnames: true}
	for i := range set.routes {
		host, path := set.requestFor(i)
		for j := range set.routes {
			sameHost := host == routeHost(j)
			underPath := path == routePath(j) || strings.HasPrefix(path, routePath(j)+"/")
			if (sameHost && underPath) != (i == j) {
				t.Errorf("request %s%s for route %d: matches route %d: %v", host, path, i, j, sameHost && underPath)
			}
		}
	}
	if host, path := (routeSet{routes: 1}).requestFor(0); host != "" || path != "/" {
		t.Errorf("without hostnames the request is %q %q, want no host and /", host, path)
	}
}

func TestRouteSetRefusesAmbiguousSets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		set     routeSet
		wantErr string
	}{
		{name: "no routes", set: routeSet{routes: 0, hostnames: true}, wantErr: "at least one route"},
		{name: "several routes matching every request", set: routeSet{routes: 2}, wantErr: "want 1 route"},
	}
	for _, test := range tests {
		err := test.set.write(t.TempDir())
		if err == nil || !strings.Contains(err.Error(), test.wantErr) {
			t.Errorf("%s: write = %v, want an error about %q", test.name, err, test.wantErr)
		}
	}
}

func TestRouteSetWritesOnlyTheFilesItNeeds(t *testing.T) {
	t.Parallel()
	limit := int64(1)
	for _, test := range []struct {
		set  routeSet
		want []string
	}{
		{set: routeSet{routes: 1}, want: []string{"backends.yaml", "gateway.yaml", "routes.yaml"}},
		{set: routeSet{routes: 1, rateLimit: &limit}, want: []string{"backends.yaml", "gateway.yaml", "policies.yaml", "routes.yaml"}},
	} {
		dir := t.TempDir()
		if err := test.set.write(dir); err != nil {
			t.Fatal(err)
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, entry := range entries {
			got = append(got, entry.Name())
		}
		if diff := cmp.Diff(test.want, got); diff != "" {
			t.Errorf("files of %+v (-want +got):\n%s", test.set, diff)
		}
	}
}

func TestRateLimitPolicyYAMLDecodesStrictly(t *testing.T) {
	t.Parallel()
	var policy tpv1a1.RateLimitPolicy
	if err := yaml.UnmarshalStrict([]byte(rateLimitPolicyYAML("route-0", 12345)), &policy); err != nil {
		t.Fatalf("the policy is not a RateLimitPolicy: %v", err)
	}
	want := tpv1a1.RateLimitPolicySpec{
		RateLimitRules: tpv1a1.RateLimitRules{Limits: map[string]tpv1a1.Limit{
			"per-second": {Rates: []tpv1a1.Rate{{Limit: 12345, Window: "1s"}}},
		}},
	}
	want.TargetRef.Group, want.TargetRef.Kind, want.TargetRef.Name = "gateway.networking.k8s.io", "HTTPRoute", "route-0"
	if diff := cmp.Diff(want, policy.Spec); diff != "" {
		t.Errorf("policy spec (-want +got):\n%s", diff)
	}
	if policy.Name != rateLimitName || policy.Namespace != configNamespace {
		t.Errorf("policy is %s/%s, want %s/%s", policy.Namespace, policy.Name, configNamespace, rateLimitName)
	}
}

func TestGeneratedYAMLNamesLoopbackOnly(t *testing.T) {
	t.Parallel()
	limit := int64(1)
	set := routeSet{routes: 3, hostnames: true, listenerPort: 18080, backendPort: 19090, rateLimit: &limit}
	dir := t.TempDir()
	if err := set.write(dir); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	ipv4 := regexp.MustCompile(`\b\d{1,3}(\.\d{1,3}){3}\b`)
	seen := 0
	for _, entry := range entries {
		data, err := os.ReadFile(filepath.Join(dir, entry.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, address := range ipv4.FindAllString(string(data), -1) {
			seen++
			if address != "127.0.0.1" {
				t.Errorf("%s names %s; the harness uses 127.0.0.1 only", entry.Name(), address)
			}
		}
	}
	// The Gateway's address and one endpoint per route.
	if want := 1 + set.routes; seen != want {
		t.Errorf("found %d addresses, want %d", seen, want)
	}
}
