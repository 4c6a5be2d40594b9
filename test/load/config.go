package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// routeSet describes the Gateway API objects of one Turnpike configuration: one
// Gateway on 127.0.0.1, and routes that each have their own Service and
// EndpointSlice, all of whose endpoints are the one load backend.
type routeSet struct {
	listenerPort int
	backendPort  int
	// routes is how many HTTPRoutes to write. With hostnames, route i matches host
	// routeHost(i) and path prefix routePath(i); without, there must be exactly one
	// route and it matches every request (path prefix "/").
	routes    int
	hostnames bool
	// rateLimit, when set, adds a RateLimitPolicy on route 0 with this limit per second.
	rateLimit *int64
	// rateLimitCounter, with rateLimit, counts the limit per value of this CEL
	// expression (such as auth.identity.sub) rather than for all requests together.
	rateLimitCounter string
	// auth, when set, adds an AuthPolicy on route 0.
	auth *routeAuth
}

// The names the generated objects use; the nginx configuration and the requests
// of a scenario follow the same ones.
const (
	configNamespace = "default"
	gatewayName     = "load"
	rateLimitName   = "load-limit"
)

func routeName(i int) string   { return fmt.Sprintf("route-%d", i) }
func serviceName(i int) string { return fmt.Sprintf("backend-%d", i) }
func routeHost(i int) string   { return fmt.Sprintf("app-%d.example.com", i) }
func routePath(i int) string   { return fmt.Sprintf("/api/%d", i) }

// requestFor is the host and path of a request that matches route i of set, and
// only that one.
func (set routeSet) requestFor(i int) (host, path string) {
	if !set.hostnames {
		return "", "/"
	}
	return routeHost(i), routePath(i) + "/items"
}

func (set routeSet) validate() error {
	switch {
	case set.routes < 1:
		return fmt.Errorf("a route set needs at least one route, not %d", set.routes)
	case !set.hostnames && set.routes != 1:
		return fmt.Errorf("without hostnames every route would match every request: want 1 route, not %d", set.routes)
	case set.rateLimitCounter != "" && set.rateLimit == nil:
		return fmt.Errorf("a rate-limit counter (%s) needs a rate limit", set.rateLimitCounter)
	case set.auth != nil:
		return set.auth.validate()
	}
	return nil
}

// write puts the configuration into dir as gateway.yaml, routes.yaml,
// backends.yaml and, with a rate limit, policies.yaml, with an AuthPolicy,
// auth.yaml.
func (set routeSet) write(dir string) error {
	if err := set.validate(); err != nil {
		return err
	}
	files := map[string]string{
		"gateway.yaml":  gatewayYAML(set.listenerPort),
		"routes.yaml":   set.routesYAML(),
		"backends.yaml": set.backendsYAML(),
	}
	if set.rateLimit != nil {
		files["policies.yaml"] = rateLimitPolicyYAML(routeName(0), *set.rateLimit, set.rateLimitCounter)
	}
	if set.auth != nil {
		files["auth.yaml"] = set.auth.authYAML(routeName(0))
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			return fmt.Errorf("writing the load configuration: %w", err)
		}
	}
	return nil
}

// gatewayYAML is the GatewayClass and one Gateway with a plain HTTP listener bound
// to 127.0.0.1 only (spec.addresses), as in examples/quickstart.
func gatewayYAML(listenerPort int) string {
	return fmt.Sprintf(`apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: turnpike
spec:
  controllerName: turnpike.dev/gateway-controller
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: %s
  namespace: %s
spec:
  gatewayClassName: turnpike
  addresses:
  - type: IPAddress
    value: 127.0.0.1
  listeners:
  - name: http
    protocol: HTTP
    port: %d
    allowedRoutes:
      namespaces:
        from: Same
`, gatewayName, configNamespace, listenerPort)
}

// routesYAML writes the HTTPRoutes with a strings.Builder rather than a YAML
// encoder: ten thousand of them are written in milliseconds, and the text is what
// a user would write by hand.
func (set routeSet) routesYAML() string {
	var out strings.Builder
	for i := range set.routes {
		if i > 0 {
			out.WriteString("---\n")
		}
		fmt.Fprintf(&out, `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: %s
  namespace: %s
spec:
  parentRefs:
  - name: %s
`, routeName(i), configNamespace, gatewayName)
		path := "/"
		if set.hostnames {
			fmt.Fprintf(&out, "  hostnames:\n  - %s\n", routeHost(i))
			path = routePath(i)
		}
		fmt.Fprintf(&out, `  rules:
  - matches:
    - path:
        type: PathPrefix
        value: %s
    backendRefs:
    - name: %s
      port: 80
`, path, serviceName(i))
	}
	return out.String()
}

// backendsYAML is a Service and an EndpointSlice per route, all on the backend's
// loopback port: what a cluster's EndpointSlice controller would write.
func (set routeSet) backendsYAML() string {
	var out strings.Builder
	for i := range set.routes {
		if i > 0 {
			out.WriteString("---\n")
		}
		fmt.Fprintf(&out, `apiVersion: v1
kind: Service
metadata:
  name: %[1]s
  namespace: %[2]s
spec:
  ports:
  - name: http
    port: 80
    targetPort: %[3]d
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: %[1]s-1
  namespace: %[2]s
  labels:
    kubernetes.io/service-name: %[1]s
addressType: IPv4
ports:
- name: http
  port: %[3]d
  protocol: TCP
endpoints:
- addresses: ["127.0.0.1"]
  conditions:
    ready: true
`, serviceName(i), configNamespace, set.backendPort)
	}
	return out.String()
}

// rateLimitPolicyYAML limits the requests of one route to limit per second: with
// one counter for all of them when counter is empty (the cheapest limit there is),
// else one counter per value of the counter expression.
func rateLimitPolicyYAML(route string, limit int64, counter string) string {
	policy := fmt.Sprintf(`apiVersion: turnpike.dev/v1alpha1
kind: RateLimitPolicy
metadata:
  name: %s
  namespace: %s
spec:
  targetRef:
    group: gateway.networking.k8s.io
    kind: HTTPRoute
    name: %s
  limits:
    per-second:
      rates:
      - limit: %d
        window: 1s
`, rateLimitName, configNamespace, route, limit)
	if counter != "" {
		policy += fmt.Sprintf("      counters:\n      - expression: %q\n", counter)
	}
	return policy
}
