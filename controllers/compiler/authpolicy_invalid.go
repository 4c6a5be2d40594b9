package compiler

import (
	"fmt"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	tpv1a1 "github.com/turnpike-gateway/turnpike/api/v1alpha1"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// An AuthPolicy protects routes, so an edit that breaks it must not open them.
// Other kinds simply drop a rejected object (a broken RateLimitPolicy leaves its
// routes unlimited); an Invalid AuthPolicy instead stands in for itself:
//
//   - Its last valid version, when the caller remembers one with the same UID
//     (Input.LastValidAuthPolicies) and that version still compiles against
//     today's Secrets and routes, is compiled in its place: its rules, its
//     target, its strategy. Status stays Accepted=False with the problems of the
//     new version, and Enforced speaks of the old generation.
//   - Otherwise (the first version is already invalid, the process restarted, a
//     Secret the old version needs is gone) the policy fails closed: it takes
//     part in the chains of its target with its declared form and one rule
//     (invalidRuleName). Wherever that rule is in force, the route's Auth is
//     Invalid and the data plane refuses every request with 500. A more specific
//     valid policy that replaces it (it holds atomic defaults) still replaces it,
//     so the route is then protected by that one.
//
// A policy whose target cannot be resolved (TargetNotFound, or a targetRef of a
// kind Turnpike does not support) has no route to protect and changes nothing.

// invalidRuleName names the rule of a policy that fails closed. It has no dot, so
// it never collides with the name of a real rule ("authentication.<name>", ...).
const invalidRuleName = "invalid"

// standInForInvalid decides what a policy just rejected as Invalid enforces.
func (c *compiler) standInForInvalid(shared *authPolicyInputs, p *authPolicyState, last *tpv1a1.AuthPolicy) {
	if last != nil && last.UID == p.obj.UID {
		old, problems := c.compileAuthPolicy(shared, last)
		if len(problems) == 0 && old.target.notFound == "" {
			p.target = old.target
			p.overrides, p.strategy = old.overrides, old.strategy
			p.rules, p.names = old.rules, old.names
			p.lastValid = last
			p.rejectMessage += fmt.Sprintf(" Generation %d, its last valid version, stays enforced until this is fixed.", last.Generation)
			return
		}
	}
	if p.target.invalid != "" || p.target.notFound != "" {
		return
	}
	p.failClosed = true
	p.overrides, p.strategy = declaredForm(&p.obj.Spec)
	p.rules = map[string]*authRule{invalidRuleName: {invalid: true}}
	p.names = []string{invalidRuleName}
	p.rejectMessage += " No valid version of it is known, so the routes where it is in force answer every request with 500 until it is fixed."
}

// standsIn reports whether a rejected policy still takes part in policy chains.
func (p *authPolicyState) standsIn() bool { return p.lastValid != nil || p.failClosed }

// declaredForm is what a spec says of how it merges, as far as that can be told:
// bare rules and spec.defaults are defaults, spec.overrides overrides; a strategy
// that is missing or not supported is atomic, and a spec that sets more than one
// form is taken as atomic defaults, the form that gives way to every more
// specific policy.
func declaredForm(spec *tpv1a1.AuthPolicySpec) (overrides bool, strategy tpv1a1.MergeStrategy) {
	bare := spec.Rules != nil || len(spec.When) > 0 || len(spec.Patterns) > 0
	switch {
	case spec.Defaults != nil && spec.Overrides == nil && !bare:
		strategy = spec.Defaults.Strategy
	case spec.Overrides != nil && spec.Defaults == nil && !bare:
		overrides, strategy = true, spec.Overrides.Strategy
	}
	if strategy != tpv1a1.MergeStrategyMerge {
		strategy = tpv1a1.MergeStrategyAtomic
	}
	return overrides, strategy
}

// invalidAuth is the Auth of a route where a policy that fails closed is in force.
func invalidAuth(policy *authPolicyState) *snapshot.Auth {
	return &snapshot.Auth{Invalid: fmt.Sprintf(
		"AuthPolicy %s is invalid and no valid version of it is known; its status says what to fix.", policy.key)}
}

// result is the status of an AuthPolicy: an Invalid one reports what stands in
// for it in its Enforced condition.
func (p *authPolicyState) result(controllerName gwapiv1.GatewayController) *PolicyResult {
	switch {
	case p.lastValid != nil:
		return p.resultWith(controllerName, &enforcement{
			subject: fmt.Sprintf("The last valid version of the %s (generation %d)", p.kind, p.lastValid.Generation),
		})
	case p.failClosed:
		return p.resultWith(controllerName, &enforcement{subject: p.kind, failClosed: true})
	}
	return p.policyState.result(controllerName)
}
