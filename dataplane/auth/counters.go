package auth

import (
	"cmp"
	"slices"
	"sync/atomic"
)

// DecisionCount is how often one rule reached one outcome, for Prometheus.
type DecisionCount struct {
	Policy, Rule, Outcome string
	Count                 uint64
}

// The outcomes counted per rule (see the package documentation).
const (
	outcomeAuthenticated = "authenticated"
	outcomeAnonymous     = "anonymous"
	outcomeMissing       = "credential-missing"
	outcomeInvalid       = "credential-invalid"
	outcomeExpired       = "credential-expired"
	outcomeUnavailable   = "unavailable"
	outcomeAllowed       = "allowed"
	outcomeForbidden     = "forbidden"
)

type counterKey struct{ policy, rule, outcome string }

// counters live in the Runtime so that they only ever grow, whatever the
// snapshots do: a Plan takes pointers to them when it is built, and the hot
// path only increments. Guarded by Runtime.mu.
type counters struct {
	byKey map[counterKey]*atomic.Uint64
}

// counter returns the counter of (policy, rule, outcome), creating it at zero.
func (r *Runtime) counter(policy, rule, outcome string) *atomic.Uint64 {
	key := counterKey{policy, rule, outcome}
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.counters.byKey[key]
	if !ok {
		c = new(atomic.Uint64)
		r.counters.byKey[key] = c
	}
	return c
}

// Decisions returns every counter created so far, sorted by policy, rule and
// outcome. A counter, once created, stays (at zero if never reached).
func (r *Runtime) Decisions() []DecisionCount {
	r.mu.Lock()
	out := make([]DecisionCount, 0, len(r.counters.byKey))
	for key, c := range r.counters.byKey {
		out = append(out, DecisionCount{Policy: key.policy, Rule: key.rule, Outcome: key.outcome, Count: c.Load()})
	}
	r.mu.Unlock()
	slices.SortFunc(out, func(a, b DecisionCount) int {
		return cmp.Or(cmp.Compare(a.Policy, b.Policy), cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Outcome, b.Outcome))
	})
	return out
}

// authnCounters are an authenticator's counters, by verdict.
type authnCounters [numVerdicts]*atomic.Uint64

func (r *Runtime) authnCounters(policy, rule string, anonymous bool) authnCounters {
	var c authnCounters
	if anonymous {
		c[authenticated] = r.counter(policy, rule, outcomeAnonymous)
		return c
	}
	c[authenticated] = r.counter(policy, rule, outcomeAuthenticated)
	c[missing] = r.counter(policy, rule, outcomeMissing)
	c[invalid] = r.counter(policy, rule, outcomeInvalid)
	c[expired] = r.counter(policy, rule, outcomeExpired)
	c[unavailable] = r.counter(policy, rule, outcomeUnavailable)
	return c
}

func (c *authnCounters) add(v verdict) {
	if v < numVerdicts && c[v] != nil {
		c[v].Add(1)
	}
}
