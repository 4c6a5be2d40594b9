package main

import (
	"errors"
	"fmt"
	"strings"
)

// routeAuth is the AuthPolicy of a route set, on its route 0: exactly one of
// apiKey and issuerURL is set, so that a scenario measures one way to
// authenticate.
type routeAuth struct {
	// apiKey is the one valid key, held by one Secret the policy selects by label;
	// requests carry it as "Authorization: APIKEY <key>".
	apiKey string
	// issuerURL is the OpenID Connect issuer whose tokens the policy accepts, as
	// "Authorization: Bearer <token>"; Turnpike finds the key set through the
	// issuer's discovery document.
	issuerURL string
}

// The names the AuthPolicy objects use.
const (
	authPolicyName   = "load-auth"
	apiKeySecretName = "load-client"
	// apiKeyLabel is the label (key=value) the policy selects its Secrets by.
	apiKeyLabelKey, apiKeyLabelValue = "app", "turnpike-load"
)

func (a *routeAuth) validate() error {
	if (a.apiKey == "") == (a.issuerURL == "") {
		return errors.New("an AuthPolicy of the load authenticates with an API key or with a JWT issuer: set exactly one")
	}
	if a.apiKey != "" && strings.ContainsAny(a.apiKey, " \t\r\n\"\\$;{}") {
		return fmt.Errorf("the API key %q has a space, a quote or a character nginx reads as syntax ($ ; { } \\); use letters, digits, - and _", a.apiKey)
	}
	return nil
}

// authYAML is the AuthPolicy on route and, for API keys, the Secret holding the
// key: the smallest policy of each kind, with no authorization rule and no header
// added upstream, so that the figures show the cost of authenticating.
func (a *routeAuth) authYAML(route string) string {
	var out strings.Builder
	fmt.Fprintf(&out, `apiVersion: turnpike.dev/v1alpha1
kind: AuthPolicy
metadata:
  name: %s
  namespace: %s
spec:
  targetRef:
    group: gateway.networking.k8s.io
    kind: HTTPRoute
    name: %s
  rules:
    authentication:
`, authPolicyName, configNamespace, route)
	if a.issuerURL != "" {
		fmt.Fprintf(&out, `      load-issuer:
        jwt:
          issuerUrl: %q
        credentials:
          authorizationHeader:
            prefix: Bearer
`, a.issuerURL)
		return out.String()
	}
	fmt.Fprintf(&out, `      load-clients:
        apiKey:
          selector:
            matchLabels:
              %[1]s: %[2]s
        credentials:
          authorizationHeader:
            prefix: APIKEY
---
apiVersion: v1
kind: Secret
metadata:
  name: %[3]s
  namespace: %[4]s
  labels:
    %[1]s: %[2]s
stringData:
  api_key: %[5]q
`, apiKeyLabelKey, apiKeyLabelValue, apiKeySecretName, configNamespace, a.apiKey)
	return out.String()
}
