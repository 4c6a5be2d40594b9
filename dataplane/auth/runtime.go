package auth

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// RuntimeOptions configure the Runtime. Zero values take the defaults below.
type RuntimeOptions struct {
	// Client fetches discovery documents and key sets and calls
	// introspection endpoints. Nil: a client of its own with FetchTimeout.
	Client *http.Client
	Log    logr.Logger
	// Now is the clock of token validation, caches and refetch limits; nil
	// is time.Now. Tests inject a clock.
	Now func() time.Time

	// FetchTimeout bounds each discovery, key-set and introspection call
	// (default 10s).
	FetchTimeout time.Duration
	// MinRefetchInterval is the least time between two fetches of a key set
	// when tokens name a key it does not hold (default 10s): a stream of
	// made-up key IDs costs the issuer at most one request per interval.
	MinRefetchInterval time.Duration
	// DefaultRefreshInterval applies when a JWT rule sets none (default 10m).
	DefaultRefreshInterval time.Duration
	// MinBackoff and MaxBackoff bound the wait after a failed key-set fetch;
	// it doubles from MinBackoff (default 1s) up to MaxBackoff (default 5m)
	// and never exceeds the refresh interval.
	MinBackoff, MaxBackoff time.Duration
	// MaxResponseBytes caps discovery, key-set and introspection responses
	// (default 1 MiB).
	MaxResponseBytes int64
	// MaxKeys caps the keys kept from one key set (default 64).
	MaxKeys int
	// MaxCredentialBytes caps a credential; a longer one is refused unread
	// (default 16 KiB).
	MaxCredentialBytes int
	// MaxCachedTokens caps the verified tokens cached per key set and the
	// answers cached per introspection endpoint (default 10000).
	MaxCachedTokens int
	// UnavailableRetryAfter is the Retry-After of a 503 when an introspection
	// endpoint is down (default 5s); a key set's says when it is fetched next.
	UnavailableRetryAfter time.Duration
}

func (o RuntimeOptions) withDefaults() RuntimeOptions {
	setDuration := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	setDuration(&o.FetchTimeout, 10*time.Second)
	setDuration(&o.MinRefetchInterval, 10*time.Second)
	setDuration(&o.DefaultRefreshInterval, 10*time.Minute)
	setDuration(&o.MinBackoff, time.Second)
	setDuration(&o.MaxBackoff, 5*time.Minute)
	setDuration(&o.UnavailableRetryAfter, 5*time.Second)
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = 1 << 20
	}
	if o.MaxKeys <= 0 {
		o.MaxKeys = 64
	}
	if o.MaxCredentialBytes <= 0 {
		o.MaxCredentialBytes = 16 << 10
	}
	if o.MaxCachedTokens <= 0 {
		o.MaxCachedTokens = 10000
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Client == nil {
		transport := http.DefaultTransport.(*http.Transport).Clone()
		transport.MaxIdleConnsPerHost = 8
		o.Client = &http.Client{Timeout: o.FetchTimeout, Transport: transport}
	}
	return o
}

// Runtime holds what outlives snapshots: key sets by URL with their verified
// tokens, introspection answers by endpoint, and decision counters. It is safe
// for concurrent use.
type Runtime struct {
	opts RuntimeOptions
	log  logr.Logger
	// ctx ends with Close; every background goroutine and outgoing call
	// derives from it.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu            sync.Mutex
	closed        bool
	keySets       map[keySetSource]*keySet
	introspectors map[introspectorKey]*introspector
	counters      counters
}

// NewRuntime returns a Runtime with no key sets; Plan and Sync start them.
func NewRuntime(opts RuntimeOptions) *Runtime {
	opts = opts.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	return &Runtime{
		opts:          opts,
		log:           opts.Log,
		ctx:           ctx,
		cancel:        cancel,
		keySets:       map[keySetSource]*keySet{},
		introspectors: map[introspectorKey]*introspector{},
		counters:      counters{byKey: map[counterKey]*atomic.Uint64{}},
	}
}

func (r *Runtime) now() time.Time { return r.opts.Now() }

// Sync makes the runtime serve exactly the given policies, at every publish:
// it starts fetching key sets that are new, changes refresh intervals, and
// stops fetching (and forgets the cached tokens and answers of) key sets and
// introspection endpoints that no policy uses any more. Plans built from an
// earlier snapshot keep working with what they hold.
func (r *Runtime) Sync(auths []*snapshot.Auth) {
	sets := map[keySetSource]time.Duration{}
	endpoints := map[introspectorKey]bool{}
	for _, a := range auths {
		if a == nil {
			continue
		}
		for _, authn := range a.Authentication {
			switch {
			case authn == nil:
			case authn.JWT != nil:
				src, ok := newKeySetSource(authn.JWT)
				if !ok {
					continue
				}
				interval := r.refreshInterval(authn.JWT)
				if prev, seen := sets[src]; !seen || interval < prev {
					sets[src] = interval
				}
			case authn.Introspection != nil:
				endpoints[newIntrospectorKey(authn.Introspection)] = true
			}
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for src, interval := range sets {
		r.keySetLocked(src, interval).setInterval(interval)
	}
	for src, ks := range r.keySets {
		if _, used := sets[src]; !used {
			ks.stop()
			delete(r.keySets, src)
		}
	}
	for key := range r.introspectors {
		if !endpoints[key] {
			delete(r.introspectors, key)
		}
	}
}

// Close stops every background goroutine and waits for them; outgoing calls
// under way are cancelled. Plans keep answering from what they hold.
func (r *Runtime) Close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.cancel()
	r.wg.Wait()
}

func (r *Runtime) refreshInterval(j *snapshot.JWTAuth) time.Duration {
	if j.RefreshInterval > 0 {
		return j.RefreshInterval
	}
	return r.opts.DefaultRefreshInterval
}

// keySet returns the key set of src, starting its fetcher when it is new.
func (r *Runtime) keySet(src keySetSource, interval time.Duration) *keySet {
	r.mu.Lock()
	defer r.mu.Unlock()
	ks := r.keySetLocked(src, interval)
	if int64(interval) < ks.interval.Load() {
		ks.setInterval(interval)
	}
	return ks
}

// keySetLocked returns the key set of src, creating and starting it with the
// interval when it is new.
func (r *Runtime) keySetLocked(src keySetSource, interval time.Duration) *keySet {
	if ks, ok := r.keySets[src]; ok {
		return ks
	}
	ks := newKeySet(r, src)
	ks.setInterval(interval)
	r.keySets[src] = ks
	if !r.closed {
		r.wg.Add(1)
		go ks.run()
	}
	return ks
}

func (r *Runtime) introspector(key introspectorKey) *introspector {
	r.mu.Lock()
	defer r.mu.Unlock()
	if in, ok := r.introspectors[key]; ok {
		return in
	}
	in := newIntrospector(r, key)
	r.introspectors[key] = in
	return in
}
