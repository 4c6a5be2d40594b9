package compiler

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/cel-go/cel"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	tpv1a1 "github.com/turnpike-gateway/turnpike/api/v1alpha1"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// policyKindRateLimit names the kind in status messages.
const policyKindRateLimit = "RateLimitPolicy"

// expressionEnv is the CEL environment, built once per process: building it costs
// far more than compiling one expression, and it holds no state of any compile, so
// sharing it keeps Compile a pure function of its input.
var expressionEnv = sync.OnceValues(snapshot.NewExpressionEnv)

// rateLimitPolicyState is one RateLimitPolicy as the compiler sees it.
type rateLimitPolicyState struct {
	policyState
	obj *tpv1a1.RateLimitPolicy

	// overrides is true for spec.overrides; bare limits and spec.defaults are
	// defaults. strategy is atomic for bare limits.
	overrides bool
	strategy  tpv1a1.MergeStrategy
	// limits are the compiled limits by name; names lists them sorted.
	limits map[string]*snapshot.RateLimit
	names  []string
}

// compileRateLimitPolicies validates every policy, compiles its expressions and
// resolves its target. A policy with a problem is rejected in its own status and
// takes no part in computing the effective limits, so it changes nothing else.
func (c *compiler) compileRateLimitPolicies(in Input) {
	if len(in.RateLimitPolicies) == 0 {
		return
	}
	targets := newPolicyTargetIndex(in)
	env, envErr := expressionEnv()
	expressions := map[string]*snapshot.Expression{} // by source: compile each once
	for _, obj := range in.RateLimitPolicies {
		if obj == nil {
			continue
		}
		p := &rateLimitPolicyState{policyState: newPolicyState(policyKindRateLimit, obj), obj: obj}
		c.rateLimitPolicies = append(c.rateLimitPolicies, p)
		// The target is resolved even for an invalid policy, so that its status
		// names the Gateways it would apply to.
		p.target = c.resolvePolicyTarget(targets, obj.Namespace, obj.Spec.TargetRef)
		var problems []string
		if p.target.invalid != "" {
			problems = append(problems, p.target.invalid)
		}
		if envErr != nil {
			problems = append(problems, fmt.Sprintf("the expression environment cannot be built: %v", envErr))
		} else {
			problems = append(problems, p.compileSpec(env, expressions)...)
		}
		switch {
		case len(problems) > 0:
			p.reject(gwapiv1.PolicyReasonInvalid, policyKindRateLimit+" is invalid: "+strings.Join(problems, "; "))
		case p.target.notFound != "":
			p.reject(gwapiv1.PolicyReasonTargetNotFound, p.target.notFound)
		}
	}
	slices.SortFunc(c.rateLimitPolicies, func(a, b *rateLimitPolicyState) int {
		return byAgeThenName(a.created, b.created, a.key, b.key)
	})
}

// compileSpec picks the one form the spec uses (the CRD makes them exclusive; objects
// that skipped validation are checked here too) and compiles its limits.
func (p *rateLimitPolicyState) compileSpec(env *cel.Env, cache map[string]*snapshot.Expression) []string {
	spec := &p.obj.Spec
	forms := 0
	rules, path := &spec.RateLimitRules, "spec"
	p.strategy = tpv1a1.MergeStrategyAtomic
	if len(spec.Limits) > 0 || len(spec.When) > 0 {
		forms++
	}
	if spec.Defaults != nil {
		forms++
		rules, path, p.strategy = &spec.Defaults.RateLimitRules, "spec.defaults", spec.Defaults.Strategy
	}
	if spec.Overrides != nil {
		forms++
		rules, path, p.strategy, p.overrides = &spec.Overrides.RateLimitRules, "spec.overrides", spec.Overrides.Strategy, true
	}
	switch {
	case forms > 1:
		return []string{"spec: only one of limits (implicit defaults), defaults and overrides may be set"}
	case len(rules.Limits) == 0:
		return []string{path + ".limits: at least one limit must be defined"}
	}
	switch p.strategy {
	case "":
		p.strategy = tpv1a1.MergeStrategyAtomic
	case tpv1a1.MergeStrategyAtomic, tpv1a1.MergeStrategyMerge:
	default:
		return []string{fmt.Sprintf("%s.strategy: %q is not supported; use atomic or merge", path, p.strategy)}
	}

	var problems []string
	compile := func(field, source string) *snapshot.Expression {
		if expr, ok := cache[source]; ok {
			return expr
		}
		expr, err := compiledExpressions.compile(env, source)
		if err != nil {
			problems = append(problems, field+": "+err.Error())
			return nil
		}
		cache[source] = expr
		return expr
	}
	var policyWhen []*snapshot.Expression
	for i, when := range rules.When {
		policyWhen = append(policyWhen, compile(fmt.Sprintf("%s.when[%d].predicate", path, i), when.Predicate))
	}
	p.names = slices.Sorted(maps.Keys(rules.Limits))
	p.limits = make(map[string]*snapshot.RateLimit, len(p.names))
	for _, name := range p.names {
		limit := rules.Limits[name]
		limitPath := fmt.Sprintf("%s.limits[%q]", path, name)
		rl := &snapshot.RateLimit{
			Policy: p.key.String(),
			Name:   name,
			When:   slices.Clone(policyWhen),
		}
		for i, when := range limit.When {
			rl.When = append(rl.When, compile(fmt.Sprintf("%s.when[%d].predicate", limitPath, i), when.Predicate))
		}
		for i, counter := range limit.Counters {
			rl.Counters = append(rl.Counters, compile(fmt.Sprintf("%s.counters[%d].expression", limitPath, i), counter.Expression))
		}
		rates, rateProblems := compileRates(limitPath, limit.Rates)
		problems = append(problems, rateProblems...)
		rl.Rates = rates
		rl.CounterKey = string(p.obj.UID) + "/" + name + "/" + canonicalRates(rates)
		p.limits[name] = rl
	}
	return problems
}

// compileRates parses the windows and orders the rates by window, then limit, so
// that listing the same rates in another order changes neither the snapshot nor the
// counter key.
func compileRates(path string, in []tpv1a1.Rate) ([]snapshot.Rate, []string) {
	if len(in) == 0 {
		return nil, []string{path + ".rates: at least one rate must be defined"}
	}
	var problems []string
	rates := make([]snapshot.Rate, 0, len(in))
	for i, rate := range in {
		window, err := time.ParseDuration(string(rate.Window))
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("%s.rates[%d].window: %q is not a duration such as 10s, 1m or 1h", path, i, rate.Window))
		case window <= 0:
			problems = append(problems, fmt.Sprintf("%s.rates[%d].window: %q must be longer than zero", path, i, rate.Window))
		case rate.Limit < 0:
			problems = append(problems, fmt.Sprintf("%s.rates[%d].limit: %d must not be negative", path, i, rate.Limit))
		default:
			rates = append(rates, snapshot.Rate{Limit: rate.Limit, Window: window})
		}
	}
	slices.SortFunc(rates, func(a, b snapshot.Rate) int {
		return cmp.Or(cmp.Compare(a.Window, b.Window), cmp.Compare(a.Limit, b.Limit))
	})
	return rates, problems
}

// canonicalRates formats rates for a counter key: "100/1s,1000/1m0s".
func canonicalRates(rates []snapshot.Rate) string {
	parts := make([]string, len(rates))
	for i, rate := range rates {
		parts[i] = strconv.FormatInt(rate.Limit, 10) + "/" + rate.Window.String()
	}
	return strings.Join(parts, ",")
}

// sentence ends a message with a full stop, as status messages are sentences.
func sentence(message string) string {
	if strings.HasSuffix(message, ".") {
		return message
	}
	return message + "."
}
