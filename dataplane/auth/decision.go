package auth

import (
	"github.com/turnpike-gateway/turnpike/dataplane/expr"
	"github.com/turnpike-gateway/turnpike/dataplane/problem"
)

// Outcome is how a request fares.
type Outcome uint8

const (
	// Allowed: forward the request (with the edits made through Upstream).
	Allowed Outcome = iota
	// Denied: answer with the Decision's status, headers and body (401, 403
	// or a policy's override).
	Denied
	// Unavailable: the credentials could not be checked (503 with
	// Retry-After), or the policy cannot be enforced as written (500).
	Unavailable
)

func (o Outcome) String() string {
	switch o {
	case Allowed:
		return "allowed"
	case Denied:
		return "denied"
	case Unavailable:
		return "unavailable"
	}
	return "unknown"
}

// Header is a response header of a refusal.
type Header struct {
	Name, Value string
}

// Decision is what Decide concluded. It is reusable (the server pools it):
// Decide resets it, and its slices keep their room across requests.
type Decision struct {
	Outcome Outcome
	// Status is 0 when Allowed; otherwise 401, 403, 503, 500 or a policy's
	// override.
	Status int
	// Headers go on the response: WWW-Authenticate, Retry-After, a policy's
	// own. Several may share a name; each is a separate field line.
	Headers []Header
	// ContentType is problem.ContentType unless a policy overrides the body.
	ContentType string
	// Body may be shared with other requests: write it, never modify it.
	Body []byte
	// Rule is "namespace/policy/rule" of the rule that decided (the
	// authenticator that succeeded, or the rule that refused), for debug logs.
	Rule string
	// Reason says why in internal terms, for debug logs; never send it.
	Reason string

	// Per-request scratch, kept for reuse.
	scopes  []scopeState
	results []result
	body    []byte
	text    []byte
}

type scopeState uint8

const (
	scopeUnknown scopeState = iota
	scopeIn
	scopeOut
)

// Reset drops every reference the Decision holds to the last request.
func (d *Decision) Reset() { d.reset(0, 0) }

func (d *Decision) reset(scopes, authenticators int) {
	d.Outcome, d.Status, d.ContentType, d.Body, d.Rule, d.Reason = Allowed, 0, "", nil, "", ""
	clear(d.Headers)
	d.Headers = d.Headers[:0]
	d.scopes = resize(d.scopes, scopes)
	clear(d.results) // identities
	d.results = resize(d.results, authenticators)
}

func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// refuse fills the answer: status, problem body with detail, and the policy's
// DenialResponse, if any, on top.
func (d *Decision) refuse(outcome Outcome, p *problem.Problem, status int, detail string, override *denial, act *expr.Activation) {
	d.Outcome, d.Status, d.ContentType = outcome, status, problem.ContentType
	if override != nil && override.apply(d, act, &detail) {
		return
	}
	if d.Status == p.Status && detail == p.Detail {
		d.Body = p.Body()
		return
	}
	d.body = p.AppendBody(d.body[:0], d.Status, detail)
	d.Body = d.body
}

const headerContentType = "Content-Type"

// apply changes the answer as the policy asks; it reports whether it set the
// whole body. Parts that fail to evaluate are left as they were.
func (dn *denial) apply(d *Decision, act *expr.Activation, detail *string) bool {
	if dn.code != 0 {
		d.Status = dn.code
	}
	if dn.message != nil {
		if text, ok := dn.evaluate(dn.message, d, act); ok {
			*detail = text
		}
	}
	typed := false
	for _, h := range dn.headers {
		text, ok := dn.evaluate(h.value, d, act)
		if !ok {
			continue
		}
		if equalFoldASCII([]byte(h.name), headerContentType) {
			d.ContentType, typed = text, true
			continue
		}
		d.Headers = append(d.Headers, Header{Name: h.name, Value: text})
	}
	if dn.body == nil {
		return false
	}
	var err error
	if d.body, err = dn.body.appendText(d.body[:0], act); err != nil {
		return false
	}
	d.Body = d.body
	if !typed {
		d.ContentType = "text/plain; charset=utf-8"
	}
	return true
}

func (dn *denial) evaluate(v *value, d *Decision, act *expr.Activation) (string, bool) {
	if v.isStatic() {
		return v.static, true
	}
	var err error
	if d.text, err = v.appendText(d.text[:0], act); err != nil || !safeHeaderValue(d.text) {
		return "", false
	}
	return string(d.text), true
}
