package auth

import (
	"crypto/sha256"
	"sync"
)

// digest identifies a credential in caches: its SHA-256, so that a cache never
// holds a token in the clear and a hit is as good as comparing the token.
type digest [sha256.Size]byte

// cache is a bounded map from credential digests to answers, in two
// generations: entries go into the young one; when it is full it becomes the
// old one and the previous old one is dropped. A hit in the old generation
// moves the entry back into the young one, so what is used stays. Lookups take
// a read lock and do not allocate.
type cache[V any] struct {
	mu         sync.RWMutex
	young, old map[digest]V
	// perGeneration is half the total bound.
	perGeneration int
}

func newCache[V any](max int) *cache[V] {
	per := max / 2
	if per < 1 {
		per = 1
	}
	return &cache[V]{young: make(map[digest]V), perGeneration: per}
}

func (c *cache[V]) get(d digest) (V, bool) {
	c.mu.RLock()
	v, ok := c.young[d]
	if ok {
		c.mu.RUnlock()
		return v, true
	}
	v, ok = c.old[d]
	c.mu.RUnlock()
	if ok {
		c.put(d, v)
	}
	return v, ok
}

func (c *cache[V]) put(d digest, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.young[d]; !ok && len(c.young) >= c.perGeneration {
		c.old, c.young = c.young, make(map[digest]V, c.perGeneration)
	}
	c.young[d] = v
}

func (c *cache[V]) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.young) + len(c.old)
}
