package snapshot

import "time"

// RateLimit is one named limit of a RateLimitPolicy, as it applies to a route after
// defaults and overrides have been resolved. A request is counted against it when
// every When predicate is true; it is then admitted only while every Rate has room.
type RateLimit struct {
	// Policy is "namespace/name" of the RateLimitPolicy the limit comes from, and
	// Name the limit's key in spec.limits. Together they name the limit in
	// RateLimit-Policy headers, logs and metrics.
	Policy string `json:"policy"`
	Name   string `json:"name"`
	// CounterKey identifies the limit's counters across snapshots: it is derived
	// from the policy's UID, the limit name and its rates, so counters survive a
	// swap unless the limit itself changed.
	CounterKey string `json:"counterKey"`
	// Rates are each their own window ("100 per 1s and 1000 per 1m").
	Rates []Rate `json:"rates"`
	// When are the policy-level and limit-level predicates, all of which must be
	// true for the limit to apply.
	When []*Expression `json:"when,omitempty"`
	// Counters are evaluated per request; their values (joined) select the
	// counter, one per distinct value (per API key, per client IP, ...). Empty
	// means one counter shared by every request the limit applies to.
	Counters []*Expression `json:"counters,omitempty"`
}

// Rate is "Limit requests per Window".
type Rate struct {
	Limit  int64         `json:"limit"`
	Window time.Duration `json:"window"`
}
