package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	tpv1a1 "github.com/turnpike-gateway/turnpike/api/v1alpha1"
	"github.com/turnpike-gateway/turnpike/controllers/compiler"
	"github.com/turnpike-gateway/turnpike/controllers/standalone"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// TestRouteSetLoadsAndCompilesCleanly runs the generated YAML through the very
// loader and compiler `turnpike standalone` uses: every object must load without
// error, every route must attach and resolve its backend, and every route's
// request must be the one its hostname and path select.
func TestRouteSetLoadsAndCompilesCleanly(t *testing.T) {
	t.Parallel()
	limit := int64(7)
	apiKey := &routeAuth{apiKey: "k-load-test_key"}
	issuer := &routeAuth{issuerURL: "http://127.0.0.1:9/realms/load"}
	tests := []struct {
		name string
		set  routeSet
		// wantAuth is the authenticator route 0 must have: "apiKey", "jwt" or none.
		wantAuth string
	}{
		{name: "one route for every request", set: routeSet{routes: 1}},
		{name: "many routes with hostnames", set: routeSet{routes: 25, hostnames: true}},
		{name: "one route with a rate limit", set: routeSet{routes: 1, rateLimit: &limit}},
		{name: "API-key AuthPolicy", set: routeSet{routes: 1, auth: apiKey}, wantAuth: "apiKey"},
		{name: "JWT AuthPolicy", set: routeSet{routes: 1, auth: issuer}, wantAuth: "jwt"},
		{name: "JWT AuthPolicy and a rate limit per subject", set: routeSet{routes: 1, auth: issuer, rateLimit: &limit, rateLimitCounter: authLimitCounter}, wantAuth: "jwt"},
		{name: "an API key on the first of many routes", set: routeSet{routes: 5, hostnames: true, auth: apiKey}, wantAuth: "apiKey"},
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
			snap, report := compiler.Compile(in)
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
			if set.auth != nil {
				policy := report.AuthPolicies[types.NamespacedName{Namespace: configNamespace, Name: authPolicyName}]
				if policy == nil || !hasCondition(policy.Conditions, "Accepted") {
					t.Errorf("AuthPolicy status %+v, want Accepted=True", policy)
				}
			}
			if diff := cmp.Diff(servedAuth(t, snap, set), test.wantAuth); diff != "" {
				t.Errorf("authenticators served (-got +want):\n%s", diff)
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

// servedAuth describes the authenticators of the snapshot's routes: those of
// route 0 ("apiKey", "jwt"), and a failure for any other route that has one. An
// API-key authenticator must hold exactly the set's key and a JWT one the set's
// issuer.
func servedAuth(t *testing.T, snap *snapshot.Snapshot, set routeSet) string {
	t.Helper()
	var kinds []string
	seen := map[*snapshot.Auth]bool{} // the matches of one rule share its Auth
	for _, socket := range snap.Listeners {
		for _, listener := range socket.GatewayListeners {
			for _, host := range listener.VirtualHosts {
				for _, route := range host.Routes {
					if route.Auth == nil || seen[route.Auth] {
						continue
					}
					seen[route.Auth] = true
					if route.RouteName != routeName(0) {
						t.Errorf("route %s has an AuthPolicy; only %s should", route.RouteName, routeName(0))
					}
					for _, authenticator := range route.Auth.Authentication {
						switch {
						case authenticator.APIKey != nil:
							kinds = append(kinds, "apiKey")
							if _, ok := authenticator.APIKey.Keys[snapshot.DigestAPIKey([]byte(set.auth.apiKey))]; !ok || len(authenticator.APIKey.Keys) != 1 {
								t.Errorf("the API-key authenticator holds %d keys (secrets %v), want exactly the set's", len(authenticator.APIKey.Keys), authenticator.APIKey.Secrets)
							}
						case authenticator.JWT != nil:
							kinds = append(kinds, "jwt")
							if authenticator.JWT.IssuerURL != set.auth.issuerURL {
								t.Errorf("the JWT authenticator trusts %q, want %q", authenticator.JWT.IssuerURL, set.auth.issuerURL)
							}
						default:
							kinds = append(kinds, "other")
						}
					}
				}
			}
		}
	}
	return strings.Join(kinds, ",")
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
		{name: "a counter without a limit", set: routeSet{routes: 1, rateLimitCounter: authLimitCounter}, wantErr: "needs a rate limit"},
		{name: "an AuthPolicy with no way to authenticate", set: routeSet{routes: 1, auth: &routeAuth{}}, wantErr: "set exactly one"},
		{name: "an AuthPolicy with two ways", set: routeSet{routes: 1, auth: &routeAuth{apiKey: "k", issuerURL: "http://127.0.0.1:9"}}, wantErr: "set exactly one"},
		{name: "an API key nginx would read as syntax", set: routeSet{routes: 1, auth: &routeAuth{apiKey: "k$ey"}}, wantErr: "use letters, digits"},
		{name: "an API key with a space", set: routeSet{routes: 1, auth: &routeAuth{apiKey: "two words"}}, wantErr: "has a space"},
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
		{set: routeSet{routes: 1, auth: &routeAuth{apiKey: "k"}}, want: []string{"auth.yaml", "backends.yaml", "gateway.yaml", "routes.yaml"}},
		{
			set:  routeSet{routes: 1, auth: &routeAuth{issuerURL: "http://127.0.0.1:9"}, rateLimit: &limit, rateLimitCounter: authLimitCounter},
			want: []string{"auth.yaml", "backends.yaml", "gateway.yaml", "policies.yaml", "routes.yaml"},
		},
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
	for _, test := range []struct {
		counter      string
		wantCounters []tpv1a1.Counter
	}{
		{counter: ""},
		{counter: authLimitCounter, wantCounters: []tpv1a1.Counter{{Expression: authLimitCounter}}},
	} {
		var policy tpv1a1.RateLimitPolicy
		if err := yaml.UnmarshalStrict([]byte(rateLimitPolicyYAML("route-0", 12345, test.counter)), &policy); err != nil {
			t.Fatalf("the policy is not a RateLimitPolicy: %v", err)
		}
		want := tpv1a1.RateLimitPolicySpec{
			RateLimitRules: tpv1a1.RateLimitRules{Limits: map[string]tpv1a1.Limit{
				"per-second": {Rates: []tpv1a1.Rate{{Limit: 12345, Window: "1s"}}, Counters: test.wantCounters},
			}},
		}
		want.TargetRef.Group, want.TargetRef.Kind, want.TargetRef.Name = "gateway.networking.k8s.io", "HTTPRoute", "route-0"
		if diff := cmp.Diff(want, policy.Spec); diff != "" {
			t.Errorf("counter %q: policy spec (-want +got):\n%s", test.counter, diff)
		}
		if policy.Name != rateLimitName || policy.Namespace != configNamespace {
			t.Errorf("policy is %s/%s, want %s/%s", policy.Namespace, policy.Name, configNamespace, rateLimitName)
		}
	}
}

func TestAuthYAMLDecodesStrictly(t *testing.T) {
	t.Parallel()
	const key, issuerURL = "k-Abc_09-xyz", "http://127.0.0.1:4321/realms/load"
	target := gwapiv1.LocalPolicyTargetReferenceWithSectionName{LocalPolicyTargetReference: gwapiv1.LocalPolicyTargetReference{
		Group: "gateway.networking.k8s.io", Kind: "HTTPRoute", Name: "route-0"}}
	tests := []struct {
		name       string
		auth       routeAuth
		wantRule   tpv1a1.AuthenticationRule
		wantSecret bool
	}{
		{
			name: "API key",
			auth: routeAuth{apiKey: key},
			wantRule: tpv1a1.AuthenticationRule{
				APIKey:      &tpv1a1.APIKeyAuthentication{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{apiKeyLabelKey: apiKeyLabelValue}}},
				Credentials: &tpv1a1.Credentials{AuthorizationHeader: &tpv1a1.PrefixedCredentials{Prefix: "APIKEY"}},
			},
			wantSecret: true,
		},
		{
			name: "JWT",
			auth: routeAuth{issuerURL: issuerURL},
			wantRule: tpv1a1.AuthenticationRule{
				JWT:         &tpv1a1.JWTAuthentication{IssuerURL: issuerURL},
				Credentials: &tpv1a1.Credentials{AuthorizationHeader: &tpv1a1.PrefixedCredentials{Prefix: "Bearer"}},
			},
		},
	}
	for _, test := range tests {
		documents := strings.Split(test.auth.authYAML("route-0"), "\n---\n")
		if want := map[bool]int{false: 1, true: 2}[test.wantSecret]; len(documents) != want {
			t.Fatalf("%s: %d documents, want %d", test.name, len(documents), want)
		}
		var policy tpv1a1.AuthPolicy
		if err := yaml.UnmarshalStrict([]byte(documents[0]), &policy); err != nil {
			t.Fatalf("%s: the policy is not an AuthPolicy: %v", test.name, err)
		}
		if policy.Name != authPolicyName || policy.Namespace != configNamespace || policy.Spec.TargetRef != target {
			t.Errorf("%s: policy %s/%s on %+v, want %s/%s on %+v", test.name, policy.Namespace, policy.Name, policy.Spec.TargetRef, configNamespace, authPolicyName, target)
		}
		if policy.Spec.Rules == nil || len(policy.Spec.Rules.Authentication) != 1 {
			t.Fatalf("%s: rules %+v, want exactly one authentication rule", test.name, policy.Spec.Rules)
		}
		for name, rule := range policy.Spec.Rules.Authentication {
			if diff := cmp.Diff(test.wantRule, rule); diff != "" {
				t.Errorf("%s: authentication rule %s (-want +got):\n%s", test.name, name, diff)
			}
		}
		if !test.wantSecret {
			continue
		}
		var secret corev1.Secret
		if err := yaml.UnmarshalStrict([]byte(documents[1]), &secret); err != nil {
			t.Fatalf("%s: the second document is not a Secret: %v", test.name, err)
		}
		if secret.StringData["api_key"] != key || secret.Labels[apiKeyLabelKey] != apiKeyLabelValue || secret.Namespace != configNamespace {
			t.Errorf("%s: Secret %s/%s labels %v data %v, want api_key %q labelled %s=%s", test.name, secret.Namespace, secret.Name,
				secret.Labels, secret.StringData, key, apiKeyLabelKey, apiKeyLabelValue)
		}
	}
}

func TestGeneratedYAMLNamesLoopbackOnly(t *testing.T) {
	t.Parallel()
	limit := int64(1)
	set := routeSet{routes: 3, hostnames: true, listenerPort: 18080, backendPort: 19090, rateLimit: &limit,
		auth: &routeAuth{issuerURL: "http://127.0.0.1:4321/realms/load"}}
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
	// The Gateway's address, one endpoint per route and the issuer.
	if want := 1 + set.routes + 1; seen != want {
		t.Errorf("found %d addresses, want %d", seen, want)
	}
}
