// Package ratelimit enforces the rate limits of a snapshot: it decides, per
// request, whether every limit that applies to the route still has room, and
// says what is left for the RateLimit headers.
//
// It sits after routing in the data plane:
//
//	snapshot.RateLimit (per route) -> Builder.Limits at Publish -> *Set in the route's plan
//	per request: Set.Check(activation, verdict) -> Admitted | Limited (429) | Unavailable (503)
//
// Counters live outside the snapshot, in a Registry that outlives every Publish,
// keyed by the limit's CounterKey and the request's counter values, so a new
// snapshot keeps the counters of every limit it did not change.
//
// Windows slide: a rate of N per W never admits more than N requests in any
// interval of length W, also under concurrent requests (see window.go for the
// argument and the memory it costs). Counters are kept either in process memory
// (local mode: a sharded map per limit, bounded by an LRU) or in Redis (global
// mode: one atomic script call per request, shared by every replica).
package ratelimit
