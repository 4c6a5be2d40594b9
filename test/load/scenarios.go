package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// neverHitLimit is the rate limit of the rate-limit scenario: requests per second
// far above what one core can proxy, so that the figures show the cost of
// counting, never of refusing.
const neverHitLimit int64 = 100_000_000

// The names of the scenarios of the issue, in its order (the order of the table
// and of the skipped list).
const (
	scenarioOneRoute  = "one route"
	scenarioAPIKey    = "API-key AuthPolicy"
	scenarioJWT       = "JWT AuthPolicy"
	scenarioRateLimit = "RateLimitPolicy, never hit"
	scenarioAuthLimit = "AuthPolicy and RateLimitPolicy"
)

// authLimitCounter is what the combined scenario's rate limit counts per: the
// authenticated client, as a per-user limit would.
const authLimitCounter = "auth.identity.sub"

// scenario is one configuration both proxies serve, and the request the load sends.
type scenario struct {
	name string
	set  routeSet
	// request is the route the load's requests match: the last one, so that a
	// proxy scanning its routes in order pays the most.
	request int
	// rateLimitProbe asks for a check, before the run, that a RateLimitPolicy with
	// a limit of 0 does refuse requests: a policy that is accepted but not
	// enforced would make the scenario measure nothing.
	rateLimitProbe bool
	// credential is the header every request of the load carries, and
	// wrongCredential one of the same scheme the AuthPolicy must refuse (the
	// enforcement probe sends it); both unset without an AuthPolicy.
	credential, wrongCredential header
}

// issueScenarios are the scenarios of the issue, in its order, which is also the
// order of the skipped list. ("many routes" runs as "1,000 routes, last matched",
// named with its size, and is never skipped.)
var issueScenarios = []string{
	scenarioOneRoute, "many routes", scenarioAPIKey, scenarioJWT, scenarioRateLimit, scenarioAuthLimit,
}

// sortSkipped puts skipped scenarios in the issue's order.
func sortSkipped(skipped []skippedScenario) {
	slices.SortStableFunc(skipped, func(a, b skippedScenario) int {
		return slices.Index(issueScenarios, a.name) - slices.Index(issueScenarios, b.name)
	})
}

// skippedScenario is a scenario of the issue this run cannot measure, and why.
type skippedScenario struct {
	name, reason string
}

// crdFile is where a Turnpike policy kind's CRD is generated once the kind lands.
func crdFile(root, plural string) string {
	return filepath.Join(root, "config", "crd", "bases", "turnpike.dev_"+plural+".yaml")
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// planScenarios lists the scenarios of the issue, in its order: those whose
// features are in the source tree at root, and the others with the reason they are
// skipped. The AuthPolicy scenarios use the run's credentials.
func planScenarios(root string, manyRoutes int, creds runCredentials) ([]scenario, []skippedScenario) {
	limit := neverHitLimit
	var scenarios []scenario
	var skipped []skippedScenario
	missing := func(plural, kind string) string {
		if fileExists(crdFile(root, plural)) {
			return ""
		}
		return fmt.Sprintf("%s has not landed (no %s)", kind, crdFile(".", plural))
	}
	authMissing := missing("authpolicies", "AuthPolicy")
	rateLimitMissing := missing("ratelimitpolicies", "RateLimitPolicy")
	add := func(sc scenario, reasons ...string) {
		if reasons = slices.DeleteFunc(reasons, func(r string) bool { return r == "" }); len(reasons) > 0 {
			skipped = append(skipped, skippedScenario{name: sc.name, reason: strings.Join(reasons, "; ")})
			return
		}
		scenarios = append(scenarios, sc)
	}
	apiKey := &routeAuth{apiKey: creds.apiKey}
	issuer := &routeAuth{issuerURL: creds.issuerURL}

	add(scenario{name: scenarioOneRoute, set: routeSet{routes: 1}})
	add(scenario{
		name:    fmt.Sprintf("%s routes, last matched", thousands(manyRoutes)),
		set:     routeSet{routes: manyRoutes, hostnames: true},
		request: manyRoutes - 1,
	})
	add(scenario{name: scenarioAPIKey, set: routeSet{routes: 1, auth: apiKey},
		credential: apiKeyHeader(creds.apiKey), wrongCredential: apiKeyHeader(creds.wrongAPIKey)}, authMissing)
	add(scenario{name: scenarioJWT, set: routeSet{routes: 1, auth: issuer},
		credential: bearerHeader(creds.token), wrongCredential: bearerHeader(creds.wrongToken)}, authMissing)
	add(scenario{name: scenarioRateLimit, set: routeSet{routes: 1, rateLimit: &limit}, rateLimitProbe: true}, rateLimitMissing)
	add(scenario{
		name:           scenarioAuthLimit,
		set:            routeSet{routes: 1, auth: issuer, rateLimit: &limit, rateLimitCounter: authLimitCounter},
		rateLimitProbe: true,
		credential:     bearerHeader(creds.token), wrongCredential: bearerHeader(creds.wrongToken),
	}, authMissing, rateLimitMissing)
	return scenarios, skipped
}
