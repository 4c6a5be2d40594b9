package compiler

import (
	"cmp"
	"slices"

	tpv1a1 "github.com/turnpike-gateway/turnpike/api/v1alpha1"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// The limits of a route are decided by the fold every policy kind shares
// (policychain.go), by limit name.

func (p *rateLimitPolicyState) state() *policyState { return &p.policyState }

func (p *rateLimitPolicyState) mergeMode() (bool, tpv1a1.MergeStrategy) {
	return p.overrides, p.strategy
}

func (p *rateLimitPolicyState) ruleNames() []string { return p.names }

// effectiveLimit is a limit in the effective set, with the policy it comes from.
type effectiveLimit struct {
	policy *rateLimitPolicyState
	limit  *snapshot.RateLimit
}

// applyRateLimitPolicies sets the RateLimits of every served route to the effective
// limits of its chain, and records on each policy what it did where.
func (c *compiler) applyRateLimitPolicies() {
	chains := newPolicyChains(c.rateLimitPolicies)
	if chains.empty() {
		return
	}
	c.rewriteServedMatches(func(l *listenerState, m *compiledMatch) *compiledMatch {
		chain := chains.chain(l, m)
		if len(chain) == 0 {
			return m
		}
		owners := effectiveOwners(chain)
		recordChainOutcome(chain, owners, l)
		return m.withRateLimits(sortedRateLimits(limitsOf(owners)))
	})
}

// effectiveLimits folds a chain (least specific first) into the limits in force.
func effectiveLimits(chain []*rateLimitPolicyState) map[string]effectiveLimit {
	return limitsOf(effectiveOwners(chain))
}

func limitsOf(owners map[string]*rateLimitPolicyState) map[string]effectiveLimit {
	set := make(map[string]effectiveLimit, len(owners))
	for name, p := range owners {
		set[name] = effectiveLimit{policy: p, limit: p.limits[name]}
	}
	return set
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
