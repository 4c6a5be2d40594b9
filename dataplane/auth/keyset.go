package auth

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// keySetSource is the stable identity of a key set: its JWKS URL, or the
// issuer whose discovery document names it.
type keySetSource struct {
	url       string
	discovery bool
}

func newKeySetSource(j *snapshot.JWTAuth) (keySetSource, bool) {
	switch {
	case j.JWKSURL != "":
		return keySetSource{url: j.JWKSURL}, true
	case j.IssuerURL != "":
		return keySetSource{url: j.IssuerURL, discovery: true}, true
	}
	return keySetSource{}, false
}

func (s keySetSource) String() string {
	if s.discovery {
		return "issuer " + s.url
	}
	return "key set " + s.url
}

// keySet is one issuer's keys, fetched in the background and shared by every
// plan that names the same source, with the tokens they verified.
type keySet struct {
	rt  *Runtime
	src keySetSource
	// keys is nil until the first successful fetch; later failures keep the
	// last good set.
	keys atomic.Pointer[keys]
	// interval is the refresh interval, in nanoseconds.
	interval atomic.Int64
	// nextAttempt is when the background fetcher tries next (Unix
	// nanoseconds of the runtime's clock), for Retry-After.
	nextAttempt atomic.Int64
	// verified caches tokens whose signature checked out, by digest.
	verified *cache[*verifiedToken]

	ctx    context.Context
	cancel context.CancelFunc
	// done is closed when the background fetcher has returned.
	done chan struct{}

	mu sync.Mutex
	// inflight is closed when the fetch under way ends; nil when none is.
	inflight chan struct{}
	// lastFetch is when the last fetch started, on the runtime's clock.
	lastFetch time.Time
	lastErr   error
}

func newKeySet(r *Runtime, src keySetSource) *keySet {
	ctx, cancel := context.WithCancel(r.ctx)
	return &keySet{
		rt: r, src: src, ctx: ctx, cancel: cancel, done: make(chan struct{}),
		verified: newCache[*verifiedToken](r.opts.MaxCachedTokens),
	}
}

func (ks *keySet) setInterval(d time.Duration) { ks.interval.Store(int64(d)) }

func (ks *keySet) stop() { ks.cancel() }

// run fetches the key set now and then every refresh interval, backing off
// after failures, until the key set is stopped.
func (ks *keySet) run() {
	defer ks.rt.wg.Done()
	defer close(ks.done)
	failures := 0
	for {
		var wait time.Duration
		if err := ks.fetchShared(); err != nil {
			if ks.ctx.Err() != nil {
				return
			}
			failures++
			wait = ks.backoff(failures)
			ks.rt.log.Error(err, "Fetching a JWT key set failed; the last good keys stay in use", "source", ks.src.String(), "retryIn", wait.String())
		} else {
			failures = 0
			wait = time.Duration(ks.interval.Load())
		}
		if wait <= 0 {
			wait = ks.rt.opts.DefaultRefreshInterval
		}
		ks.nextAttempt.Store(ks.rt.now().Add(wait).UnixNano())
		// Up to a tenth of jitter, so that replicas do not fetch in step.
		timer := time.NewTimer(wait - time.Duration(rand.Int64N(int64(wait)/10+1)))
		select {
		case <-ks.ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
	}
}

func (ks *keySet) backoff(failures int) time.Duration {
	opts := &ks.rt.opts
	wait := opts.MinBackoff
	for i := 1; i < failures && wait < opts.MaxBackoff; i++ {
		wait *= 2
	}
	wait = min(wait, opts.MaxBackoff)
	if interval := time.Duration(ks.interval.Load()); interval > 0 {
		wait = min(wait, interval)
	}
	return wait
}

// retryAfter is how many seconds until the next background attempt.
func (ks *keySet) retryAfter() int64 {
	next := time.Unix(0, ks.nextAttempt.Load())
	return int64((next.Sub(ks.rt.now()) + time.Second - 1) / time.Second)
}

// fetchShared fetches the key set, or waits for the fetch already under way.
func (ks *keySet) fetchShared() error {
	ks.mu.Lock()
	if ch := ks.inflight; ch != nil {
		ks.mu.Unlock()
		return ks.wait(ch)
	}
	ch := make(chan struct{})
	ks.inflight, ks.lastFetch = ch, ks.rt.now()
	ks.mu.Unlock()

	err := ks.fetch()

	ks.mu.Lock()
	ks.inflight, ks.lastErr = nil, err
	ks.mu.Unlock()
	close(ch)
	return err
}

func (ks *keySet) wait(ch chan struct{}) error {
	select {
	case <-ch:
	case <-ks.ctx.Done():
		return ks.ctx.Err()
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	return ks.lastErr
}

// refetchOutcome is what a request-path fetch came to.
type refetchOutcome uint8

const (
	// refetchSkipped: a fetch started less than MinRefetchInterval ago.
	refetchSkipped refetchOutcome = iota
	refetchFailed
	refetchDone
)

// refetch is the request path's fetch, for a token whose key the set does not
// hold (or a set never loaded): it joins a fetch under way, or starts one
// unless one started less than MinRefetchInterval ago.
func (ks *keySet) refetch() refetchOutcome {
	ks.mu.Lock()
	var err error
	if ch := ks.inflight; ch != nil {
		ks.mu.Unlock()
		err = ks.wait(ch)
	} else {
		now := ks.rt.now()
		if !ks.lastFetch.IsZero() && now.Sub(ks.lastFetch) < ks.rt.opts.MinRefetchInterval {
			ks.mu.Unlock()
			return refetchSkipped
		}
		ks.mu.Unlock()
		err = ks.fetchShared()
	}
	if err != nil {
		return refetchFailed
	}
	return refetchDone
}

// discoveryDocument is the part of OpenID Connect Discovery 1.0 we read.
type discoveryDocument struct {
	Issuer  string `json:"issuer"`
	JWKSURI string `json:"jwks_uri"`
}

// fetch reads the discovery document when the source is an issuer, then the
// key set; it stores the keys when they parse and changed.
func (ks *keySet) fetch() error {
	jwksURL := ks.src.url
	if ks.src.discovery {
		var err error
		if jwksURL, err = ks.discover(); err != nil {
			return err
		}
	}
	body, err := ks.rt.get(ks.ctx, jwksURL)
	if err != nil {
		return fmt.Errorf("fetching the key set of %s: %w", ks.src, err)
	}
	sum := sha256.Sum256(body)
	if cur := ks.keys.Load(); cur != nil && cur.digest == sum {
		return nil // unchanged: keep the pointer, and with it the verified tokens
	}
	parsed, err := parseKeySet(body, ks.rt.opts.MaxKeys)
	if err != nil {
		return fmt.Errorf("the key set of %s at %s: %w", ks.src, jwksURL, err)
	}
	parsed.digest = sum
	ks.keys.Store(parsed)
	if n := len(parsed.skipped); n > 0 {
		ks.rt.log.V(1).Info("Some keys of a JWT key set are not usable for signatures and were skipped", "source", ks.src.String(), "skipped", parsed.skipped)
	}
	return nil
}

func (ks *keySet) discover() (string, error) {
	issuer := ks.src.url
	body, err := ks.rt.get(ks.ctx, strings.TrimSuffix(issuer, "/")+"/.well-known/openid-configuration")
	if err != nil {
		return "", fmt.Errorf("fetching the discovery document of issuer %s: %w", issuer, err)
	}
	var doc discoveryDocument
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("the discovery document of issuer %s is not valid JSON: %w", issuer, err)
	}
	if doc.Issuer != issuer {
		return "", fmt.Errorf("the discovery document at issuer %s names issuer %q; they must be equal (OpenID Connect Discovery section 4.3)", issuer, doc.Issuer)
	}
	u, err := url.Parse(doc.JWKSURI)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", errors.New("the discovery document of issuer " + issuer + " has no valid jwks_uri")
	}
	return doc.JWKSURI, nil
}
