package ratelimit

import (
	"hash/maphash"
	"slices"
	"sync"
	"time"

	"github.com/go-logr/logr"

	"github.com/turnpike-gateway/turnpike/dataplane/expr"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// Registry owns the counters of every limit, across snapshots: a limit whose
// CounterKey is unchanged by a new snapshot keeps its counters, a limit that
// changed starts afresh, and the counters of limits that left are dropped.
// Snapshots reach the counters only through the Sets a Builder makes.
type Registry struct {
	opts  Options
	log   logr.Logger
	clock func() int64
	seeds [2]maphash.Seed
	redis *redisBackend
	stats storeStats

	// mu guards stores; Builders run one at a time (Publish is serialised),
	// the lock only keeps Stats honest.
	mu     sync.Mutex
	stores map[string]*localStore
}

// NewRegistry returns a registry in local mode, or in global mode when
// opts.Redis.Address is set. It never connects: Redis is first contacted by a
// request, and its absence is handled then by the failure mode.
func NewRegistry(opts Options, log logr.Logger) *Registry {
	start := time.Now()
	return newRegistry(opts, log, func() int64 { return int64(time.Since(start)) })
}

// newRegistry takes the clock of local mode: monotonic nanoseconds, never
// negative.
func newRegistry(opts Options, log logr.Logger, clock func() int64) *Registry {
	opts = opts.WithDefaults()
	r := &Registry{
		opts:   opts,
		log:    log,
		clock:  clock,
		seeds:  [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()},
		stores: map[string]*localStore{},
	}
	if opts.Redis.Address != "" {
		r.redis = newRedisBackend(opts.Redis, log)
	}
	return r
}

// Close releases the connection to Redis, if any.
func (r *Registry) Close() error {
	if r.redis != nil {
		return r.redis.close()
	}
	return nil
}

// Stats are the registry's counts, for metrics.
type Stats struct {
	// Counters is how many counters local mode holds now for the live limits.
	Counters int64
	// Evictions counts counters forgotten to stay under MaxCountersPerLimit;
	// ActiveEvictions those among them that still had requests in a window.
	Evictions, ActiveEvictions uint64
	// RedisErrors counts failed calls to Redis; RedisFallbacks the requests
	// whose limits were decided by the failure mode instead of the counters.
	RedisErrors, RedisFallbacks uint64
}

// Stats returns the current counts.
func (r *Registry) Stats() Stats {
	s := Stats{
		Evictions:       r.stats.evictions.Load(),
		ActiveEvictions: r.stats.activeEvictions.Load(),
	}
	r.mu.Lock()
	for _, store := range r.stores {
		s.Counters += int64(store.len())
	}
	r.mu.Unlock()
	if r.redis != nil {
		s.RedisErrors, s.RedisFallbacks = r.redis.errors.Load(), r.redis.fallbacks.Load()
	}
	return s
}

// Builder prepares the limits of one snapshot. Call Limits for each route,
// then Commit once the snapshot is live.
type Builder struct {
	r      *Registry
	stores map[string]*localStore
	limits map[*snapshot.RateLimit]*Limit
}

// NewBuilder starts preparing a snapshot.
func (r *Registry) NewBuilder() *Builder {
	return &Builder{r: r, stores: map[string]*localStore{}, limits: map[*snapshot.RateLimit]*Limit{}}
}

// Limits prepares the limits of one route. It returns nil for a route without
// limits, and an error when a limit cannot be enforced as written (the route
// should then refuse requests rather than serve them unlimited).
func (b *Builder) Limits(specs []*snapshot.RateLimit) (*Set, error) {
	if len(specs) == 0 {
		return nil, nil
	}
	set := &Set{registry: b.r}
	for _, spec := range specs {
		l, ok := b.limits[spec]
		if !ok {
			var err error
			if l, err = newLimit(spec); err != nil {
				return nil, err
			}
			b.attach(l)
			b.limits[spec] = l
		}
		set.limits = append(set.limits, l)
	}
	return set, nil
}

// attach gives the limit its counters: the registry's store for its
// CounterKey when the rates match, a new one otherwise.
func (b *Builder) attach(l *Limit) {
	if b.r.redis != nil {
		l.redisKey = b.r.opts.Redis.KeyPrefix + l.counterKey + ":"
		return
	}
	specs := make([]rateSpec, len(l.rates))
	for i := range l.rates {
		specs[i] = l.rates[i].spec
	}
	if s, ok := b.stores[l.counterKey]; ok && slices.Equal(s.rates, specs) {
		l.store = s
		return
	}
	b.r.mu.Lock()
	s, ok := b.r.stores[l.counterKey]
	b.r.mu.Unlock()
	if !ok || !slices.Equal(s.rates, specs) {
		s = newLocalStore(specs, b.r.opts.MaxCountersPerLimit, b.r.clock, &b.r.stats)
	}
	b.stores[l.counterKey] = s
	l.store = s
}

// Commit makes the built limits the registry's: counters of limits that are no
// longer in the snapshot are dropped. Requests still running on the previous
// snapshot keep working on the stores they hold.
func (b *Builder) Commit() {
	b.r.mu.Lock()
	defer b.r.mu.Unlock()
	for key, s := range b.r.stores {
		if b.stores[key] != s {
			s.release()
		}
	}
	b.r.stores = b.stores
}

// Set is the limits of one route, in order.
type Set struct {
	registry *Registry
	limits   []*Limit
}

// Check decides the request in a against every limit that applies and fills v.
// A limit applies when all its predicates hold; a request over any limit is
// refused, and then counts against none of them.
func (s *Set) Check(a *expr.Activation, v *Verdict) {
	v.reset()
	for _, l := range s.limits {
		if !l.applies(a) {
			continue
		}
		start := len(v.keys)
		keys, ok := l.appendKey(v.keys, a)
		if !ok {
			v.keys = keys[:start]
			continue
		}
		v.keys = keys
		v.hits = append(v.hits, hit{limit: l, keyStart: start, keyEnd: len(keys)})
	}
	if len(v.hits) == 0 {
		return
	}
	if s.registry.redis != nil {
		s.registry.redis.take(v)
		return
	}
	s.registry.takeLocal(v)
}

// takeLocal takes every hit in turn; when one refuses, the admissions already
// recorded for the others are refunded.
func (r *Registry) takeLocal(v *Verdict) {
	for i := range v.hits {
		h := &v.hits[i]
		if raw := v.keys[h.keyStart:h.keyEnd]; len(h.limit.counters) > 0 {
			h.key = counterKey{hi: maphash.Bytes(r.seeds[0], raw), lo: maphash.Bytes(r.seeds[1], raw)}
		} else {
			h.key = counterKey{} // one counter for every request
		}
		h.usageStart = len(v.usage)
		usage, tokens := v.growUsage(len(h.limit.rates))
		for j := range usage {
			usage[j].rate = &h.limit.rates[j]
		}
		admitted, wait, now := h.limit.store.take(h.key, usage, tokens)
		v.decidedAt = now
		if admitted {
			continue
		}
		v.Outcome, v.RetryAfter = Limited, time.Duration(wait)
		for _, done := range v.hits[:i] {
			n := len(done.limit.rates)
			done.limit.store.refund(done.key, v.tokens[done.usageStart:done.usageStart+n])
			for j := range n {
				u := &v.usage[done.usageStart+j]
				u.remaining = min(u.remaining+1, u.rate.spec.limit)
			}
		}
		return
	}
}
