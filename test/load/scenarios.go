package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// neverHitLimit is the rate limit of the rate-limit scenario: requests per second
// far above what one core can proxy, so that the figures show the cost of
// counting, never of refusing.
const neverHitLimit int64 = 100_000_000

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
}

// issueScenarios are the scenarios of the issue, in its order, which is also the
// order of the skipped list.
var issueScenarios = []string{
	"one route", "many routes", "API-key AuthPolicy", "JWT AuthPolicy",
	"RateLimitPolicy, never hit", "AuthPolicy and RateLimitPolicy",
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

// planScenarios lists the scenarios of the issue: those whose features are in the
// source tree at root, and the others with the reason they are skipped.
func planScenarios(root string, manyRoutes int) ([]scenario, []skippedScenario) {
	limit := neverHitLimit
	scenarios := []scenario{
		{name: "one route", set: routeSet{routes: 1}},
		{
			name:    fmt.Sprintf("%s routes, last matched", thousands(manyRoutes)),
			set:     routeSet{routes: manyRoutes, hostnames: true},
			request: manyRoutes - 1,
		},
	}
	var skipped []skippedScenario
	authMissing := fmt.Sprintf("AuthPolicy has not landed (no %s)", crdFile(".", "authpolicies"))
	authPresent := "AuthPolicy's CRD exists but this harness has no AuthPolicy scenario yet (add it to test/load/scenarios.go)"
	authReason := authMissing
	if fileExists(crdFile(root, "authpolicies")) {
		authReason = authPresent
	}
	skipped = append(skipped,
		skippedScenario{name: "API-key AuthPolicy", reason: authReason},
		skippedScenario{name: "JWT AuthPolicy", reason: authReason})
	if fileExists(crdFile(root, "ratelimitpolicies")) {
		scenarios = append(scenarios, scenario{
			name:           "RateLimitPolicy, never hit",
			set:            routeSet{routes: 1, rateLimit: &limit},
			rateLimitProbe: true,
		})
	} else {
		skipped = append(skipped, skippedScenario{name: "RateLimitPolicy, never hit",
			reason: fmt.Sprintf("RateLimitPolicy has not landed (no %s)", crdFile(".", "ratelimitpolicies"))})
	}
	skipped = append(skipped, skippedScenario{name: "AuthPolicy and RateLimitPolicy", reason: authReason})
	return scenarios, skipped
}
