package compiler

import (
	"cmp"
	"slices"

	"k8s.io/apimachinery/pkg/types"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	tpv1a1 "github.com/turnpike-gateway/turnpike/api/v1alpha1"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// How the limits of a route are decided, following Kuadrant (kuadrant.io/v1):
//
// Every served route has a chain of the accepted policies that apply to it, least
// specific first: the Gateway's, the listener's (a Gateway policy with sectionName),
// the HTTPRoute's, then the rule's (an HTTPRoute policy with sectionName). Policies
// on the same object go oldest first, so the older one counts as the less specific.
//
// The chain is folded from the most specific end. The most specific policy's limits
// start the effective set; then each less specific policy, in turn, combines its
// limits with the set by its own kind and strategy:
//
//	defaults, atomic   its limits are used only if the set is empty (bare limits are this)
//	defaults, merge    its limits are added where the set has none of the same name
//	overrides, atomic  its limits replace the whole set
//	overrides, merge   its limits replace those of the same name and add the others
//
// A limit keeps its own policy's top-level `when` wherever it ends up. (Kuadrant
// merges the top-level `when` as if it were one more limit, so with merge
// strategies one policy's `when` could gate another policy's limits; Turnpike keeps
// each `when` with the limits written next to it.)

// effectiveLimit is a limit in the effective set, with the policy it comes from.
type effectiveLimit struct {
	policy *rateLimitPolicyState
	limit  *snapshot.RateLimit
}

// rateLimitChains indexes the accepted policies by the object they target.
type rateLimitChains struct {
	byGateway  map[types.NamespacedName][]*rateLimitPolicyState
	byListener map[listenerKey][]*rateLimitPolicyState
	byRoute    map[types.NamespacedName][]*rateLimitPolicyState
	byRule     map[ruleKey][]*rateLimitPolicyState
}

type listenerKey struct {
	gateway  types.NamespacedName
	listener gwapiv1.SectionName
}

type ruleKey struct {
	route types.NamespacedName
	rule  string
}

func newRateLimitChains(policies []*rateLimitPolicyState) *rateLimitChains {
	chains := &rateLimitChains{
		byGateway:  map[types.NamespacedName][]*rateLimitPolicyState{},
		byListener: map[listenerKey][]*rateLimitPolicyState{},
		byRoute:    map[types.NamespacedName][]*rateLimitPolicyState{},
		byRule:     map[ruleKey][]*rateLimitPolicyState{},
	}
	for _, p := range policies { // oldest first, which each list keeps
		if !p.accepted() {
			continue
		}
		t := p.target
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

// chain returns the policies that apply to a route served on a listener, least
// specific first.
func (chains *rateLimitChains) chain(l *listenerState, m *compiledMatch) []*rateLimitPolicyState {
	var out []*rateLimitPolicyState
	out = append(out, chains.byGateway[l.gateway.key]...)
	out = append(out, chains.byListener[listenerKey{l.gateway.key, l.spec.Name}]...)
	out = append(out, chains.byRoute[m.routeKey]...)
	if m.route.RuleName != "" {
		out = append(out, chains.byRule[ruleKey{m.routeKey, m.route.RuleName}]...)
	}
	return out
}

// applyRateLimitPolicies sets the RateLimits of every served route to the effective
// limits of its chain, and records on each policy what it did where. Routes are
// shared between the listeners they attach to, but their limits may differ per
// listener (Gateway and listener policies), so a route with limits is copied for
// each listener.
func (c *compiler) applyRateLimitPolicies() {
	chains := newRateLimitChains(c.rateLimitPolicies)
	if len(chains.byGateway)+len(chains.byListener)+len(chains.byRoute)+len(chains.byRule) == 0 {
		return
	}
	for _, gw := range c.gateways {
		for _, l := range gw.listeners {
			if l.served == nil {
				continue
			}
			// A match appears once per hostname it serves on the listener; it gets one
			// copy per listener, shared by its hostnames.
			copies := map[*compiledMatch]*compiledMatch{}
			for _, hostname := range sortedKeys(l.virtualHosts) {
				matches := l.virtualHosts[hostname]
				for i, m := range matches {
					if copied, ok := copies[m]; ok {
						matches[i] = copied
						continue
					}
					copied := m
					if chain := chains.chain(l, m); len(chain) > 0 {
						limits := effectiveLimits(chain)
						recordOutcome(chain, limits, l)
						copied = m.withRateLimits(sortedRateLimits(limits))
					}
					copies[m] = copied
					matches[i] = copied
				}
			}
		}
	}
}

// effectiveLimits folds a chain (least specific first) into the limits in force.
func effectiveLimits(chain []*rateLimitPolicyState) map[string]effectiveLimit {
	set := map[string]effectiveLimit{}
	last := chain[len(chain)-1]
	for _, name := range last.names {
		set[name] = effectiveLimit{policy: last, limit: last.limits[name]}
	}
	for i := len(chain) - 2; i >= 0; i-- {
		p := chain[i]
		switch {
		case !p.overrides && p.strategy == tpv1a1.MergeStrategyAtomic:
			if len(set) > 0 {
				continue
			}
			for _, name := range p.names {
				set[name] = effectiveLimit{policy: p, limit: p.limits[name]}
			}
		case !p.overrides:
			for _, name := range p.names {
				if _, taken := set[name]; !taken {
					set[name] = effectiveLimit{policy: p, limit: p.limits[name]}
				}
			}
		case p.strategy == tpv1a1.MergeStrategyAtomic:
			clear(set)
			for _, name := range p.names {
				set[name] = effectiveLimit{policy: p, limit: p.limits[name]}
			}
		default:
			for _, name := range p.names {
				set[name] = effectiveLimit{policy: p, limit: p.limits[name]}
			}
		}
	}
	return set
}

// recordOutcome notes, for every policy of a chain, whether its limits are in force
// on this listener or which policies are in force instead.
func recordOutcome(chain []*rateLimitPolicyState, set map[string]effectiveLimit, l *listenerState) {
	var owners []*rateLimitPolicyState // of the effective set, for limits dropped whole
	for _, name := range sortedKeys(set) {
		if owner := set[name].policy; !slices.Contains(owners, owner) {
			owners = append(owners, owner)
		}
	}
	for _, p := range chain {
		record := p.onGateway(l.gateway.key)
		for _, name := range p.names {
			entry, ok := set[name]
			if ok && entry.policy == p {
				record.sockets[l.socketKey] = true
				continue
			}
			record.overriddenLimits[name] = true
			if ok {
				record.overriddenBy[entry.policy.key] = true
				continue
			}
			for _, owner := range owners {
				record.overriddenBy[owner.key] = true
			}
		}
	}
}

// sortedRateLimits lists the effective limits by policy, then name.
func sortedRateLimits(set map[string]effectiveLimit) []*snapshot.RateLimit {
	limits := make([]*snapshot.RateLimit, 0, len(set))
	for _, entry := range set {
		limits = append(limits, entry.limit)
	}
	slices.SortFunc(limits, func(a, b *snapshot.RateLimit) int {
		return cmp.Or(cmp.Compare(a.Policy, b.Policy), cmp.Compare(a.Name, b.Name))
	})
	return limits
}

// withRateLimits returns a copy of the match whose route carries limits. The route
// is copied shallowly: everything but RateLimits stays shared and immutable.
func (m *compiledMatch) withRateLimits(limits []*snapshot.RateLimit) *compiledMatch {
	route := *m.route
	route.RateLimits = limits
	copied := *m
	copied.route = &route
	return &copied
}
