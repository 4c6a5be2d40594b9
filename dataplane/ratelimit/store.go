package ratelimit

import (
	"sync"
	"sync/atomic"
)

// counterKey identifies one counter of a limit: a 128-bit keyed hash of its
// counter values. Keys are fixed-size whatever the values (API keys, tokens),
// so a flood of long values costs no more memory than short ones, and the
// values themselves are never kept. The hash seeds are random per process, so
// nobody can craft two values that share a counter.
type counterKey struct{ hi, lo uint64 }

// counter is the state of one counter: a window per rate, and its place in the
// least-recently-used list of its shard.
type counter struct {
	key          counterKey
	newer, older *counter
	// lastNow is the latest time the counter was checked at; a clock reading
	// that is earlier is clamped to it, so time never runs backwards for it.
	lastNow int64
	windows []window
}

// shardCount spreads the counters of a limit over independent locks. A limit
// without counter expressions has one counter, and so one busy lock: exactness
// needs every request of one counter to be decided in order.
const shardCount = 16

// localStore holds the counters of one limit in process memory: a sharded
// map bounded by an LRU list per shard.
type localStore struct {
	rates    []rateSpec
	perShard int
	clock    func() int64
	stats    *storeStats
	shards   [shardCount]shard
}

type shard struct {
	mu       sync.Mutex
	counters map[counterKey]*counter
	// newest and oldest are the ends of the LRU list.
	newest, oldest *counter
	// Keeps neighbouring shards' locks off one cache line.
	_ [40]byte
}

// storeStats are shared by every store of a registry.
type storeStats struct {
	evictions atomic.Uint64
	// activeEvictions counts evicted counters that still had requests in one of
	// their windows: the requests of that key are forgotten, so it may be
	// admitted up to its limit again within that window.
	activeEvictions atomic.Uint64
}

func newLocalStore(rates []rateSpec, maxCounters int, clock func() int64, stats *storeStats) *localStore {
	s := &localStore{rates: rates, perShard: max(maxCounters/shardCount, 1), clock: clock, stats: stats}
	for i := range s.shards {
		s.shards[i].counters = map[counterKey]*counter{}
	}
	return s
}

// take admits one request against every rate of the counter, or none: all
// windows are checked, then all are recorded, under the shard's lock, with the
// clock read under that lock too (a clock read outside could be older than the
// last recorded admission). usage and tokens receive one element per rate; now
// is the time the decision was made at.
func (s *localStore) take(key counterKey, usage []usage, tokens []uint64) (admitted bool, wait, now int64) {
	sh := &s.shards[key.lo%shardCount]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	c := sh.get(s, key)
	now = max(s.clock(), c.lastNow)
	c.lastNow = now

	admitted = true
	for i := range s.rates {
		spec, w := &s.rates[i], &c.windows[i]
		w.expire(now, spec)
		if w.full(spec) {
			admitted = false
			wait = max(wait, w.wait(now, spec))
		}
	}
	for i := range s.rates {
		spec, w := &s.rates[i], &c.windows[i]
		if admitted {
			tokens[i] = w.record(now, spec)
		}
		usage[i].remaining = w.remaining(spec)
		usage[i].wait = w.wait(now, spec)
	}
	return admitted, wait, now
}

// refund takes back an admission recorded by take, when a later limit of the
// same request refused it: a refused request consumes no limit.
func (s *localStore) refund(key counterKey, tokens []uint64) {
	sh := &s.shards[key.lo%shardCount]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	c, ok := sh.counters[key]
	if !ok {
		return // evicted meanwhile: nothing left to refund
	}
	for i := range s.rates {
		c.windows[i].refund(tokens[i])
	}
}

// len counts the counters held, for tests and stats.
func (s *localStore) len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += len(sh.counters)
		sh.mu.Unlock()
	}
	return n
}

// release forgets every counter, when the limit leaves the snapshot.
func (s *localStore) release() {
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		clear(sh.counters)
		sh.newest, sh.oldest = nil, nil
		sh.mu.Unlock()
	}
}

// get returns the counter of key, most recently used from now on. A new key
// past the bound takes over the least recently used counter (and its memory).
func (sh *shard) get(s *localStore, key counterKey) *counter {
	if c, ok := sh.counters[key]; ok {
		sh.unlink(c)
		sh.pushNewest(c)
		return c
	}
	var c *counter
	if len(sh.counters) >= s.perShard && sh.oldest != nil {
		c = sh.oldest
		sh.unlink(c)
		delete(sh.counters, c.key)
		s.stats.evictions.Add(1)
		if c.active(s) {
			s.stats.activeEvictions.Add(1)
		}
		for i := range c.windows {
			c.windows[i].reset()
		}
	} else {
		c = &counter{windows: make([]window, len(s.rates))}
	}
	c.key, c.lastNow = key, 0
	sh.counters[key] = c
	sh.pushNewest(c)
	return c
}

// active reports whether any window still holds requests.
func (c *counter) active(s *localStore) bool {
	now := max(s.clock(), c.lastNow)
	for i := range c.windows {
		c.windows[i].expire(now, &s.rates[i])
		if c.windows[i].total > 0 {
			return true
		}
	}
	return false
}

func (sh *shard) unlink(c *counter) {
	if c.newer != nil {
		c.newer.older = c.older
	} else {
		sh.newest = c.older
	}
	if c.older != nil {
		c.older.newer = c.newer
	} else {
		sh.oldest = c.newer
	}
	c.newer, c.older = nil, nil
}

func (sh *shard) pushNewest(c *counter) {
	c.older = sh.newest
	if sh.newest != nil {
		sh.newest.newer = c
	}
	sh.newest = c
	if sh.oldest == nil {
		sh.oldest = c
	}
}
