package compiler

import (
	"slices"

	"k8s.io/apimachinery/pkg/types"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	tpv1a1 "github.com/turnpike-gateway/turnpike/api/v1alpha1"
)

// How the rules of a route are decided, for every policy kind, following Kuadrant
// (kuadrant.io/v1):
//
// Every served route has a chain of the accepted policies of a kind that apply to
// it, least specific first: the Gateway's, the listener's (a Gateway policy with
// sectionName), the HTTPRoute's, then the rule's (an HTTPRoute policy with
// sectionName). Policies on the same object go oldest first, so the older one
// counts as the less specific.
//
// The chain is folded from the most specific end. The most specific policy's rules
// start the effective set; then each less specific policy, in turn, combines its
// rules with the set by its own kind and strategy:
//
//	defaults, atomic   its rules are used only if the set is empty (bare rules are this)
//	defaults, merge    its rules are added where the set has none of the same name
//	overrides, atomic  its rules replace the whole set
//	overrides, merge   its rules replace those of the same name and add the others
//
// A rule keeps its own policy's top-level `when` wherever it ends up. (Kuadrant
// merges the top-level `when` as if it were one more rule, so with merge
// strategies one policy's `when` could gate another policy's rules; Turnpike keeps
// each `when` with the rules written next to it.)
//
// Rule names are what the kind merges by: a RateLimitPolicy's limit names, an
// AuthPolicy's "section.name" (authpolicy_effective.go).

// chainedPolicy is what the fold needs of a policy of any kind.
type chainedPolicy interface {
	comparable
	// state is the policy's shared compiler state.
	state() *policyState
	// mergeMode says whether the policy holds overrides, and its strategy.
	mergeMode() (overrides bool, strategy tpv1a1.MergeStrategy)
	// ruleNames are its rule names, sorted.
	ruleNames() []string
}

// policyChains indexes the accepted policies of one kind by the object they target.
type policyChains[P chainedPolicy] struct {
	byGateway  map[types.NamespacedName][]P
	byListener map[listenerKey][]P
	byRoute    map[types.NamespacedName][]P
	byRule     map[ruleKey][]P
}

type listenerKey struct {
	gateway  types.NamespacedName
	listener gwapiv1.SectionName
}

type ruleKey struct {
	route types.NamespacedName
	rule  string
}

// newPolicyChains indexes policies, which must be sorted oldest first.
func newPolicyChains[P chainedPolicy](policies []P) *policyChains[P] {
	chains := &policyChains[P]{
		byGateway:  map[types.NamespacedName][]P{},
		byListener: map[listenerKey][]P{},
		byRoute:    map[types.NamespacedName][]P{},
		byRule:     map[ruleKey][]P{},
	}
	for _, p := range policies { // oldest first, which each list keeps
		if !inChains(p) {
			continue
		}
		t := p.state().target
		switch t.level {
		case levelGateway:
			chains.byGateway[t.gateway] = append(chains.byGateway[t.gateway], p)
		case levelListener:
			k := listenerKey{t.gateway, t.listener}
			chains.byListener[k] = append(chains.byListener[k], p)
		case levelRoute:
			chains.byRoute[t.route] = append(chains.byRoute[t.route], p)
		case levelRule:
			k := ruleKey{t.route, string(t.rule)}
			chains.byRule[k] = append(chains.byRule[k], p)
		}
	}
	return chains
}

// standIn is implemented by kinds whose rejected policies may still take part in
// the chains: an Invalid AuthPolicy, through its last valid version or a rule
// that fails closed (authpolicy_invalid.go).
type standIn interface {
	standsIn() bool
}

// inChains reports whether a policy takes part in the chains of its target.
func inChains[P chainedPolicy](p P) bool {
	if p.state().accepted() {
		return true
	}
	s, ok := any(p).(standIn)
	return ok && s.standsIn()
}

func (chains *policyChains[P]) empty() bool {
	return len(chains.byGateway)+len(chains.byListener)+len(chains.byRoute)+len(chains.byRule) == 0
}

// chain returns the policies that apply to a route served on a listener, least
// specific first.
func (chains *policyChains[P]) chain(l *listenerState, m *compiledMatch) []P {
	var out []P
	out = append(out, chains.byGateway[l.gateway.key]...)
	out = append(out, chains.byListener[listenerKey{l.gateway.key, l.spec.Name}]...)
	out = append(out, chains.byRoute[m.routeKey]...)
	if m.route.RuleName != "" {
		out = append(out, chains.byRule[ruleKey{m.routeKey, m.route.RuleName}]...)
	}
	return out
}

// effectiveOwners folds a chain (least specific first) into the rules in force:
// for each rule name, the policy whose rule of that name is in force.
func effectiveOwners[P chainedPolicy](chain []P) map[string]P {
	set := map[string]P{}
	last := chain[len(chain)-1]
	for _, name := range last.ruleNames() {
		set[name] = last
	}
	for i := len(chain) - 2; i >= 0; i-- {
		p := chain[i]
		overrides, strategy := p.mergeMode()
		switch {
		case !overrides && strategy == tpv1a1.MergeStrategyAtomic:
			if len(set) > 0 {
				continue
			}
			for _, name := range p.ruleNames() {
				set[name] = p
			}
		case !overrides:
			for _, name := range p.ruleNames() {
				if _, taken := set[name]; !taken {
					set[name] = p
				}
			}
		case strategy == tpv1a1.MergeStrategyAtomic:
			clear(set)
			for _, name := range p.ruleNames() {
				set[name] = p
			}
		default:
			for _, name := range p.ruleNames() {
				set[name] = p
			}
		}
	}
	return set
}

// recordChainOutcome notes, for every policy of a chain, whether its rules are in
// force on this listener or which policies are in force instead.
func recordChainOutcome[P chainedPolicy](chain []P, owners map[string]P, l *listenerState) {
	var inForce []P // the owners of the effective set, for rules dropped whole
	for _, name := range sortedKeys(owners) {
		if owner := owners[name]; !slices.Contains(inForce, owner) {
			inForce = append(inForce, owner)
		}
	}
	for _, p := range chain {
		record := p.state().onGateway(l.gateway.key)
		for _, name := range p.ruleNames() {
			owner, ok := owners[name]
			if ok && owner == p {
				record.sockets[l.socketKey] = true
				continue
			}
			record.overriddenLimits[name] = true
			if ok {
				record.overriddenBy[owner.state().key] = true
				continue
			}
			for _, other := range inForce {
				record.overriddenBy[other.state().key] = true
			}
		}
	}
}

// rewriteServedMatches calls rewrite once per served route and listener, and puts
// what it returns in the route's place on that listener. Routes are shared between
// the listeners they attach to, but what policies add to them may differ per
// listener (Gateway and listener policies), so a route that changes is copied for
// each listener; a match that appears under several hostnames of one listener gets
// one copy, shared by its hostnames.
func (c *compiler) rewriteServedMatches(rewrite func(l *listenerState, m *compiledMatch) *compiledMatch) {
	for _, gw := range c.gateways {
		for _, l := range gw.listeners {
			if l.served == nil {
				continue
			}
			copies := map[*compiledMatch]*compiledMatch{}
			for _, hostname := range sortedKeys(l.virtualHosts) {
				matches := l.virtualHosts[hostname]
				for i, m := range matches {
					copied, ok := copies[m]
					if !ok {
						copied = rewrite(l, m)
						copies[m] = copied
					}
					matches[i] = copied
				}
			}
		}
	}
}
