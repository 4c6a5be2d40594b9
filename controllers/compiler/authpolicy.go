package compiler

import (
	"fmt"
	"slices"
	"strings"

	"github.com/google/cel-go/cel"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	tpv1a1 "github.com/turnpike-gateway/turnpike/api/v1alpha1"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// policyKindAuth names the kind in status messages.
const policyKindAuth = "AuthPolicy"

// authPolicyState is one AuthPolicy as the compiler sees it.
type authPolicyState struct {
	policyState
	obj *tpv1a1.AuthPolicy

	// overrides is true for spec.overrides; bare rules and spec.defaults are
	// defaults. strategy is atomic for bare rules.
	overrides bool
	strategy  tpv1a1.MergeStrategy
	// rules are the compiled rules by the name policies merge them by
	// ("authentication.<name>", "response.unauthorized", ...); names lists them
	// sorted.
	rules map[string]*authRule
	names []string

	// An Invalid policy stands in for itself (authpolicy_invalid.go): lastValid is
	// its last valid version when that is what rules, target and strategy above
	// come from; failClosed is set when no valid version is known and its one rule
	// refuses every request.
	lastValid  *tpv1a1.AuthPolicy
	failClosed bool
}

// authRule is one mergeable rule of an AuthPolicy: exactly one field is set.
type authRule struct {
	authenticator   *snapshot.Authenticator
	authorizer      *snapshot.Authorizer
	unauthenticated *snapshot.DenialResponse
	unauthorized    *snapshot.DenialResponse
	successHeader   *snapshot.SuccessHeader
	identityExtra   *snapshot.NamedValue
	// invalid is the one rule of a policy that fails closed.
	invalid bool
}

// authCompiler compiles the rules of one AuthPolicy.
type authCompiler struct {
	expressionCompiler
	policy     *authPolicyState
	secrets    *authSecrets
	conditions *conditionCompiler
	// path is where the policy's rules are: "spec", "spec.defaults" or
	// "spec.overrides".
	path string
	// policyWhen is the policy's top-level `when`, which every rule carries.
	policyWhen []*snapshot.Expression
}

func (a *authCompiler) warn(format string, args ...any) {
	a.policy.warnings = append(a.policy.warnings, fmt.Sprintf(format, args...))
}

// compileAuthPolicies validates every policy, compiles its rules and resolves its
// target, like compileRateLimitPolicies. A policy with a problem is rejected in its
// own status; what it enforces then is decided by standInForInvalid
// (authpolicy_invalid.go): its last valid version, or a rule that refuses every
// request, so that a bad edit never opens a route it protected.
//
// A Secret a policy names and cannot find (oauth2Introspection's credentialsRef)
// makes the policy Invalid, naming the Secret. Kuadrant's MissingDependency reason
// is about missing components (Authorino, a Gateway provider), which Turnpike has
// none of; Invalid is the reason every Gateway API tool knows, and the policy
// recovers on its own once the Secret exists (Secrets are watched).
func (c *compiler) compileAuthPolicies(in Input) {
	if len(in.AuthPolicies) == 0 {
		return
	}
	shared := &authPolicyInputs{
		targets:  newPolicyTargetIndex(in),
		secrets:  newAuthSecrets(in.Secrets),
		compiled: map[string]*snapshot.Expression{},
	}
	shared.env, shared.envErr = expressionEnv()
	for _, obj := range in.AuthPolicies {
		if obj == nil {
			continue
		}
		p, problems := c.compileAuthPolicy(shared, obj)
		c.authPolicies = append(c.authPolicies, p)
		switch {
		case len(problems) > maxStatusNotes:
			p.warnings = nil
			more := "and 1 more problem"
			if n := len(problems) - maxStatusNotes; n > 1 {
				more = fmt.Sprintf("and %d more problems", n)
			}
			p.reject(gwapiv1.PolicyReasonInvalid, fmt.Sprintf("%s is invalid: %s; %s",
				policyKindAuth, strings.Join(problems[:maxStatusNotes], "; "), more))
			c.standInForInvalid(shared, p, in.LastValidAuthPolicies[p.key])
		case len(problems) > 0:
			p.warnings = nil
			p.reject(gwapiv1.PolicyReasonInvalid, policyKindAuth+" is invalid: "+strings.Join(problems, "; "))
			c.standInForInvalid(shared, p, in.LastValidAuthPolicies[p.key])
		case p.target.notFound != "":
			p.reject(gwapiv1.PolicyReasonTargetNotFound, p.target.notFound)
		}
	}
	slices.SortFunc(c.authPolicies, func(a, b *authPolicyState) int {
		return byAgeThenName(a.created, b.created, a.key, b.key)
	})
}

// authPolicyInputs is what compiling any AuthPolicy of one Compile call reads.
type authPolicyInputs struct {
	targets *policyTargetIndex
	secrets *authSecrets
	env     *cel.Env
	envErr  error
	// compiled holds the expressions by source: each is compiled once.
	compiled map[string]*snapshot.Expression
}

// compileAuthPolicy compiles one version of a policy: its target and its rules.
// It returns the problems that make it Invalid; the caller rejects it.
func (c *compiler) compileAuthPolicy(shared *authPolicyInputs, obj *tpv1a1.AuthPolicy) (*authPolicyState, []string) {
	p := &authPolicyState{policyState: newPolicyState(policyKindAuth, obj), obj: obj}
	p.ruleNoun = "rule"
	p.target = c.resolvePolicyTarget(shared.targets, obj.Namespace, obj.Spec.TargetRef)
	var problems []string
	if p.target.invalid != "" {
		problems = append(problems, p.target.invalid)
	}
	if shared.envErr != nil {
		return p, append(problems, fmt.Sprintf("the expression environment cannot be built: %v", shared.envErr))
	}
	a := &authCompiler{
		expressionCompiler: expressionCompiler{env: shared.env, cache: shared.compiled},
		policy:             p,
		secrets:            shared.secrets,
	}
	a.compileSpec()
	return p, append(problems, a.problems...)
}

// compileSpec picks the one form the spec uses (the CRD makes them exclusive;
// objects that skipped validation are checked here too) and compiles its rules.
func (a *authCompiler) compileSpec() {
	p, spec := a.policy, &a.policy.obj.Spec
	rules, forms := &spec.AuthPolicyRules, 0
	a.path, p.strategy = "spec", tpv1a1.MergeStrategyAtomic
	if spec.Rules != nil || len(spec.When) > 0 || len(spec.Patterns) > 0 {
		forms++
	}
	if spec.Defaults != nil {
		forms++
		rules, a.path, p.strategy = &spec.Defaults.AuthPolicyRules, "spec.defaults", spec.Defaults.Strategy
	}
	if spec.Overrides != nil {
		forms++
		rules, a.path, p.strategy, p.overrides = &spec.Overrides.AuthPolicyRules, "spec.overrides", spec.Overrides.Strategy, true
	}
	if forms > 1 {
		a.problem("spec: only one of the bare rules (implicit defaults), defaults and overrides may be set")
		return
	}
	switch p.strategy {
	case "":
		p.strategy = tpv1a1.MergeStrategyAtomic
	case tpv1a1.MergeStrategyAtomic, tpv1a1.MergeStrategyMerge:
	default:
		a.problem("%s.strategy: %q is not supported; use atomic or merge", a.path, p.strategy)
		return
	}
	a.conditions = newConditionCompiler(a.path, rules.Patterns)
	a.problems = append(a.problems, a.conditions.problems...)
	for i, when := range rules.When {
		if expr := a.compile(fmt.Sprintf("%s.when[%d].predicate", a.path, i), when.Predicate); expr != nil {
			a.policyWhen = append(a.policyWhen, expr)
		}
	}
	p.rules = map[string]*authRule{}
	if rules.Rules != nil {
		a.compileRules(rules.Rules)
	}
	if len(p.rules) == 0 && len(a.problems) == 0 {
		a.problem("%s.rules: at least one rule must be defined", a.path)
	}
	p.names = sortedKeys(p.rules)
}

// compileRules compiles every section of spec.rules.
func (a *authCompiler) compileRules(rules *tpv1a1.AuthRules) {
	path := a.path + ".rules"
	if len(rules.Metadata) > 0 {
		a.problem("%s.metadata: external metadata (%s) is not supported by Turnpike; remove it", path, quotedList(sortedKeys(rules.Metadata)))
	}
	if len(rules.Callbacks) > 0 {
		a.problem("%s.callbacks: callbacks (%s) are not supported by Turnpike; remove them", path, quotedList(sortedKeys(rules.Callbacks)))
	}
	for _, name := range sortedKeys(rules.Authentication) {
		rule := rules.Authentication[name]
		if authenticator := a.authentication(fmt.Sprintf("%s.authentication[%q]", path, name), name, &rule); authenticator != nil {
			a.policy.rules["authentication."+name] = &authRule{authenticator: authenticator}
		}
	}
	for _, name := range sortedKeys(rules.Authorization) {
		rule := rules.Authorization[name]
		if authorizer := a.authorization(fmt.Sprintf("%s.authorization[%q]", path, name), name, &rule); authorizer != nil {
			a.policy.rules["authorization."+name] = &authRule{authorizer: authorizer}
		}
	}
	if rules.Response != nil {
		a.compileResponse(path+".response", rules.Response)
	}
}

// ruleBase is what every authentication and authorization rule shares.
func (a *authCompiler) ruleBase(field, name string, common *tpv1a1.CommonRuleSpec) snapshot.AuthRule {
	return snapshot.AuthRule{
		Policy:     a.policy.key.String(),
		Name:       name,
		Priority:   common.Priority,
		PolicyWhen: a.policyWhen,
		When:       a.conditionExpressions(field+".when", common.When),
	}
}

// conditionExpressions compiles a rule's `when`.
func (a *authCompiler) conditionExpressions(field string, when []tpv1a1.PatternExpressionOrRef) []*snapshot.Expression {
	if len(when) == 0 {
		return nil
	}
	return a.expressionCompiler.conditions(a.conditions, field, when)
}
