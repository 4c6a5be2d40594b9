package auth

import (
	"strconv"
	"time"

	"github.com/turnpike-gateway/turnpike/dataplane/expr"
	"github.com/turnpike-gateway/turnpike/dataplane/problem"
)

const (
	headerWWWAuthenticate = "WWW-Authenticate"
	headerRetryAfter      = "Retry-After"
)

// Decide authenticates and authorizes one request and fills d. act must be
// reset for req; on success act.Identity is set (with IdentityExtras), the
// credentials a backend must not see are removed through up, and the success
// headers are set through it. On a 403 act.Identity is set too, so that the
// policy's response can read it.
func (p *Plan) Decide(req Request, act *expr.Activation, up Upstream, d *Decision) {
	d.reset(len(p.scopes), len(p.authenticators))
	if p.err != nil {
		d.Reason = p.err.Error()
		d.refuse(Unavailable, problem.RouteUnavailable, problem.RouteUnavailable.Status, problem.RouteUnavailable.Detail, nil, act)
		return
	}
	winner, identity, authenticated := p.authenticate(req, act, d)
	if !authenticated {
		return
	}
	act.Identity = identity
	if len(p.extras) > 0 {
		act.Identity = p.extend(identity, act)
	}
	if !p.authorize(winner, act, d) {
		return
	}
	for _, a := range p.authenticators {
		if !a.forward && a.needsCredential && p.inScope(&a.rule, act, d) {
			a.loc.strip(req, up)
		}
	}
	p.setSuccessHeaders(act, up, d)
}

// inScope reports whether the rule's policy-level `when` holds, evaluating
// each policy's at most once per request.
func (p *Plan) inScope(r *rule, act *expr.Activation, d *Decision) bool {
	if r.scope < 0 {
		return true
	}
	switch d.scopes[r.scope] {
	case scopeIn:
		return true
	case scopeOut:
		return false
	}
	in := holds(p.scopes[r.scope], act)
	d.scopes[r.scope] = scopeOut
	if in {
		d.scopes[r.scope] = scopeIn
	}
	return in
}

func holds(preds []*expr.Predicate, act *expr.Activation) bool {
	for _, pred := range preds {
		if !pred.Eval(act) {
			return false
		}
	}
	return true
}

// authenticate tries the authenticators in scope, in order, until one
// succeeds. It reports false after filling d with the refusal.
func (p *Plan) authenticate(req Request, act *expr.Activation, d *Decision) (*authenticator, map[string]any, bool) {
	now := p.rt.now()
	inScope := false
	for i, a := range p.authenticators {
		if !p.inScope(&a.rule, act, d) {
			continue
		}
		inScope = true
		if !holds(a.when, act) {
			continue
		}
		res := p.try(a, req, now)
		a.counters.add(res.verdict)
		if res.verdict == authenticated {
			d.Rule = a.id
			return a, res.identity, true
		}
		d.results[i] = res
	}
	if !inScope {
		return nil, emptyIdentity, true
	}
	p.refuseAuthentication(act, d)
	return nil, nil, false
}

func (p *Plan) try(a *authenticator, req Request, now time.Time) result {
	if !a.needsCredential {
		return a.verifier.verify(req, nil, now)
	}
	cred, found := a.loc.find(req)
	switch {
	case !found:
		return result{verdict: missing}
	case len(cred) > p.rt.opts.MaxCredentialBytes:
		return refused(p.tooLarge, "credential too large")
	}
	return a.verifier.verify(req, cred, now)
}

// refuseAuthentication answers a request no authenticator let in: 503 when
// one of them could not check the credential it was given (the client is not
// known to be wrong), else 401 for the first credential refused, else 401
// for missing credentials. Every authenticator in scope adds its challenge.
func (p *Plan) refuseAuthentication(act *expr.Activation, d *Decision) {
	decisive := -1
	for i := range d.results {
		switch d.results[i].verdict {
		case unavailable:
			res := &d.results[i]
			d.Rule, d.Reason = p.authenticators[i].id, res.reason
			d.Headers = append(d.Headers, Header{Name: headerRetryAfter, Value: strconv.FormatInt(res.retryAfter, 10)})
			d.refuse(Unavailable, problem.AuthUnavailable, problem.AuthUnavailable.Status, problem.AuthUnavailable.Detail, nil, act)
			return
		case invalid, expired:
			if decisive < 0 {
				decisive = i
			}
		}
	}
	for i, a := range p.authenticators {
		if a.challenge == "" || !p.inScope(&a.rule, act, d) {
			continue
		}
		value := a.challenge
		if res := &d.results[i]; res.verdict == invalid || res.verdict == expired {
			value = withError(value, a.errorCode, res.description)
		}
		d.Headers = append(d.Headers, Header{Name: headerWWWAuthenticate, Value: value})
	}
	if decisive < 0 {
		d.Reason = "no credentials"
		d.refuse(Denied, problem.CredentialMissing, problem.CredentialMissing.Status, problem.CredentialMissing.Detail, p.unauthenticated, act)
		return
	}
	res := &d.results[decisive]
	d.Rule, d.Reason = p.authenticators[decisive].id, res.reason
	pr := problem.CredentialInvalid
	if res.verdict == expired {
		pr = problem.CredentialExpired
	}
	d.refuse(Denied, pr, pr.Status, res.description, p.unauthenticated, act)
}

// extend returns a copy of the identity with the policy's extra properties,
// each evaluated against the identity as authenticated. A property that fails
// to evaluate is left out.
func (p *Plan) extend(identity map[string]any, act *expr.Activation) map[string]any {
	out := make(map[string]any, len(identity)+len(p.extras))
	for k, v := range identity {
		out[k] = v
	}
	for _, extra := range p.extras {
		if v, err := extra.value.native(act); err == nil {
			out[extra.name] = v
		}
	}
	return out
}

// authorize checks the authorizers in scope whose `when` holds; the first
// condition that is false (or fails) refuses the request with 403.
func (p *Plan) authorize(winner *authenticator, act *expr.Activation, d *Decision) bool {
	for _, z := range p.authorizers {
		if !p.inScope(&z.rule, act, d) || !holds(z.when, act) {
			continue
		}
		for i := range z.conditions {
			if c := &z.conditions[i]; !c.predicate.Eval(act) {
				z.forbidden.Add(1)
				p.refuseAuthorization(winner, z, c, act, d)
				return false
			}
		}
		z.allowed.Add(1)
	}
	return true
}

func (p *Plan) refuseAuthorization(winner *authenticator, z *authorizer, c *condition, act *expr.Activation, d *Decision) {
	d.Rule, d.Reason = z.id, "condition "+c.predicate.Source()+" is false"
	detail := problem.Forbidden.Detail
	if c.scope != "" {
		// RFC 6750 section 3.1, in the scheme the client authenticated with.
		value := `Bearer error="insufficient_scope"`
		if winner != nil && winner.challenge != "" {
			value = withError(winner.challenge, "insufficient_scope", "")
		}
		value += ", scope=" + quote(c.scope)
		d.Headers = append(d.Headers, Header{Name: headerWWWAuthenticate, Value: value})
		detail = "The request needs the OAuth scope " + c.scope + "."
	}
	d.refuse(Denied, problem.Forbidden, problem.Forbidden.Status, detail, p.unauthorized, act)
}

// setSuccessHeaders sets the policies' headers on the request forwarded. A
// header whose `when` does not hold or whose value fails is removed instead,
// so that a client cannot supply it in the gateway's place.
func (p *Plan) setSuccessHeaders(act *expr.Activation, up Upstream, d *Decision) {
	for _, h := range p.successHeaders {
		if !holds(h.when, act) {
			up.DelHeader(h.name)
			continue
		}
		if h.plain != nil && h.plain.isStatic() {
			up.SetHeader(h.name, h.plain.static)
			continue
		}
		var err error
		if h.plain != nil {
			d.text, err = h.plain.appendText(d.text[:0], act)
		} else {
			d.text = appendJSONObject(d.text[:0], h.json, act)
		}
		if err != nil || !safeHeaderValue(d.text) {
			up.DelHeader(h.name)
			continue
		}
		up.SetHeader(h.name, string(d.text))
	}
}
