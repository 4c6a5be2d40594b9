package auth

import (
	"crypto/sha256"
	"errors"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// introspectorKey is the stable identity of an introspection endpoint as one
// client sees it: two clients may get different answers for the same token.
type introspectorKey struct {
	endpoint, clientID, clientSecret, tokenTypeHint string
}

func newIntrospectorKey(in *snapshot.IntrospectionAuth) introspectorKey {
	return introspectorKey{in.Endpoint, in.ClientID, in.ClientSecret, in.TokenTypeHint}
}

// introspected is an endpoint's answer about one token.
type introspected struct {
	active   bool
	identity map[string]any
	// at is when the answer was received; exp is the token's "exp", zero
	// when the answer has none.
	at, exp time.Time
}

// introspector calls one endpoint (RFC 7662) and remembers its answers;
// concurrent requests with the same token share one call.
type introspector struct {
	rt      *Runtime
	key     introspectorKey
	answers *cache[*introspected]

	mu    sync.Mutex
	calls map[digest]*introspectionCall
}

type introspectionCall struct {
	done   chan struct{}
	answer *introspected
	err    error
}

func newIntrospector(r *Runtime, key introspectorKey) *introspector {
	return &introspector{rt: r, key: key, answers: newCache[*introspected](r.opts.MaxCachedTokens), calls: map[digest]*introspectionCall{}}
}

// introspectionVerifier is one rule's use of an endpoint.
type introspectionVerifier struct {
	in  *introspector
	ttl time.Duration
}

func newIntrospectionVerifier(r *Runtime, spec *snapshot.IntrospectionAuth) (*introspectionVerifier, error) {
	u, err := url.Parse(spec.Endpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("the introspection endpoint " + spec.Endpoint + " is not an http(s) URL")
	}
	return &introspectionVerifier{in: r.introspector(newIntrospectorKey(spec)), ttl: spec.CacheTTL}, nil
}

func (v *introspectionVerifier) verify(_ Request, cred []byte, now time.Time) result {
	d := digest(sha256.Sum256(cred))
	if v.ttl > 0 {
		if a, hit := v.in.answers.get(d); hit && now.Before(a.at.Add(v.ttl)) && (a.exp.IsZero() || now.Before(a.exp)) {
			return judge(a, now)
		}
	}
	a, err := v.in.introspect(cred, d, now)
	if err != nil {
		return notAvailable("introspection at "+v.in.key.endpoint+" failed: "+err.Error(), int64(v.in.rt.opts.UnavailableRetryAfter/time.Second))
	}
	if v.ttl > 0 {
		v.in.answers.put(d, a)
	}
	return judge(a, now)
}

func judge(a *introspected, now time.Time) result {
	switch {
	case !a.active:
		return refused("The token is not active.", "introspection: active is not true")
	case !a.exp.IsZero() && !now.Before(a.exp):
		return expiredAt(a.exp, "token")
	}
	return ok(a.identity)
}

// introspect asks the endpoint, or waits for the same question already asked.
func (in *introspector) introspect(cred []byte, d digest, now time.Time) (*introspected, error) {
	in.mu.Lock()
	if c, ok := in.calls[d]; ok {
		in.mu.Unlock()
		select {
		case <-c.done:
			return c.answer, c.err
		case <-in.rt.ctx.Done():
			return nil, in.rt.ctx.Err()
		}
	}
	c := &introspectionCall{done: make(chan struct{})}
	in.calls[d] = c
	in.mu.Unlock()

	c.answer, c.err = in.call(cred, now)

	in.mu.Lock()
	delete(in.calls, d)
	in.mu.Unlock()
	close(c.done)
	return c.answer, c.err
}

func (in *introspector) call(cred []byte, now time.Time) (*introspected, error) {
	form := url.Values{"token": {string(cred)}}
	if in.key.tokenTypeHint != "" {
		form.Set("token_type_hint", in.key.tokenTypeHint)
	}
	body, err := in.rt.postForm(in.rt.ctx, in.key.endpoint, form.Encode(), func(req *http.Request) {
		if in.key.clientID != "" {
			// RFC 6749 section 2.3.1: form-encoded, then HTTP Basic.
			req.SetBasicAuth(url.QueryEscape(in.key.clientID), url.QueryEscape(in.key.clientSecret))
		}
	})
	if err != nil {
		return nil, err
	}
	identity, err := decodeObject(body)
	if err != nil {
		return nil, errors.New("the answer is not a JSON object: " + err.Error())
	}
	a := &introspected{identity: identity, at: now}
	a.active, _ = identity["active"].(bool)
	if v, present := identity["exp"]; present && a.active {
		if a.exp, err = numericDate(v); err != nil {
			return nil, errors.New(`the answer's "exp" is not a NumericDate`)
		}
	}
	return a, nil
}
