package auth

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/turnpike-gateway/turnpike/dataplane/expr"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// Plan is one route's snapshot.Auth, ready to decide requests: predicates
// prepared, challenges rendered, counters attached. It is immutable and safe
// for concurrent use.
type Plan struct {
	rt *Runtime
	// err, when set, makes every request fail closed: the policy cannot be
	// enforced as written.
	err error
	// scopes are the distinct policy-level `when` lists; rules point into it
	// so that each is evaluated once per request.
	scopes          []scope
	authenticators  []*authenticator
	authorizers     []*authorizer
	unauthenticated *denial
	unauthorized    *denial
	successHeaders  []*successHeader
	extras          []namedValue
	// tooLarge is the description of an oversized credential.
	tooLarge string
}

type scope []*expr.Predicate

// rule is what authenticators and authorizers share.
type rule struct {
	// id is "namespace/policy/rule".
	id string
	// scope indexes Plan.scopes; -1 when the policy has no `when`.
	scope int
	when  []*expr.Predicate
}

// verifier checks one kind of credential.
type verifier interface {
	verify(req Request, cred []byte, now time.Time) result
}

type authenticator struct {
	rule
	verifier verifier
	// loc finds the credential; unused by x509 and anonymous, which need none
	// (needsCredential false).
	loc             locator
	needsCredential bool
	forward         bool
	anonymous       bool
	// challenge is the WWW-Authenticate value naming how to authenticate;
	// errorCode the RFC 6750-style error of a refused credential.
	challenge, errorCode string
	counters             authnCounters
}

type authorizer struct {
	rule
	conditions         []condition
	allowed, forbidden *atomic.Uint64
}

type condition struct {
	predicate *expr.Predicate
	scope     string
}

type successHeader struct {
	name  string
	when  []*expr.Predicate
	plain *value
	json  []namedValue
}

// denial is a DenialResponse ready to apply.
type denial struct {
	code    int
	message *value
	headers []namedValue
	body    *value
}

// Plan prepares a route's auth for requests. It never fails: a policy that
// cannot be enforced as written gives a Plan that refuses every request with
// 500 (Err says why, and it is logged once here), so that a route is never
// served without its policy.
func (r *Runtime) Plan(a *snapshot.Auth) *Plan {
	p := &Plan{rt: r, tooLarge: "The credential is larger than " + strconv.Itoa(r.opts.MaxCredentialBytes) + " bytes."}
	if a == nil {
		return p
	}
	if a.Invalid != "" {
		// The compiler had no valid version of the policy to give: nothing to
		// build, and nothing may pass.
		p.err = errors.New(a.Invalid)
		r.log.Error(p.err, "An AuthPolicy is invalid; its routes refuse every request until it is fixed")
		return p
	}
	if err := p.build(a); err != nil {
		p.err = err
		r.log.Error(err, "An AuthPolicy cannot be enforced as written; its routes refuse every request until it is fixed")
	}
	return p
}

// Err is why the plan refuses every request, nil for a working plan.
func (p *Plan) Err() error { return p.err }

func (p *Plan) build(a *snapshot.Auth) error {
	scopes := map[string]int{}
	for _, spec := range a.Authentication {
		if spec == nil {
			continue
		}
		authn, err := p.newAuthenticator(spec, scopes)
		if err != nil {
			return fmt.Errorf("authentication rule %s/%s: %w", spec.Policy, spec.Name, err)
		}
		p.authenticators = append(p.authenticators, authn)
	}
	for _, spec := range a.Authorization {
		if spec == nil {
			continue
		}
		z, err := p.newAuthorizer(spec, scopes)
		if err != nil {
			return fmt.Errorf("authorization rule %s/%s: %w", spec.Policy, spec.Name, err)
		}
		p.authorizers = append(p.authorizers, z)
	}
	var err error
	if p.unauthenticated, err = newDenial(a.Unauthenticated); err != nil {
		return fmt.Errorf("the unauthenticated response: %w", err)
	}
	if p.unauthorized, err = newDenial(a.Unauthorized); err != nil {
		return fmt.Errorf("the unauthorized response: %w", err)
	}
	for _, spec := range a.SuccessHeaders {
		if spec == nil {
			continue
		}
		h, err := newSuccessHeader(spec)
		if err != nil {
			return fmt.Errorf("success header %s of %s: %w", spec.Name, spec.Policy, err)
		}
		p.successHeaders = append(p.successHeaders, h)
	}
	if p.extras, err = newNamedValues(a.IdentityExtras); err != nil {
		return fmt.Errorf("identity property %w", err)
	}
	return nil
}

func (p *Plan) newRule(spec *snapshot.AuthRule, scopes map[string]int) (rule, error) {
	rl := rule{id: spec.Policy + "/" + spec.Name, scope: -1}
	if len(spec.PolicyWhen) > 0 {
		// Rules of one policy share its `when`: one scope, keyed by policy
		// and sources.
		var key strings.Builder
		key.WriteString(spec.Policy)
		for _, e := range spec.PolicyWhen {
			if e != nil {
				key.WriteString("\x00" + e.Source)
			}
		}
		i, seen := scopes[key.String()]
		if !seen {
			preds, err := predicates(spec.PolicyWhen)
			if err != nil {
				return rl, fmt.Errorf("the policy's when: %w", err)
			}
			i = len(p.scopes)
			p.scopes = append(p.scopes, preds)
			scopes[key.String()] = i
		}
		rl.scope = i
	}
	var err error
	if rl.when, err = predicates(spec.When); err != nil {
		return rl, fmt.Errorf("the rule's when: %w", err)
	}
	return rl, nil
}

func predicates(exprs []*snapshot.Expression) ([]*expr.Predicate, error) {
	var out []*expr.Predicate
	for _, e := range exprs {
		pred, err := expr.NewPredicate(e)
		if err != nil {
			return nil, err
		}
		out = append(out, pred)
	}
	return out, nil
}

func (p *Plan) newAuthenticator(spec *snapshot.Authenticator, scopes map[string]int) (*authenticator, error) {
	rl, err := p.newRule(&spec.AuthRule, scopes)
	if err != nil {
		return nil, err
	}
	a := &authenticator{rule: rl, forward: spec.ForwardCredentials, needsCredential: true}
	kinds := 0
	if spec.APIKey != nil {
		kinds++
		a.verifier, a.errorCode = &apiKeyVerifier{keys: spec.APIKey.Keys}, "invalid_key"
	}
	if spec.JWT != nil {
		kinds++
		if a.verifier, err = newJWTVerifier(p.rt, spec.JWT); err != nil {
			return nil, err
		}
		a.errorCode = "invalid_token"
	}
	if spec.Introspection != nil {
		kinds++
		if a.verifier, err = newIntrospectionVerifier(p.rt, spec.Introspection); err != nil {
			return nil, err
		}
		a.errorCode = "invalid_token"
	}
	if spec.X509 != nil {
		kinds++
		a.verifier, a.errorCode, a.needsCredential = newX509Verifier(spec.X509.Roots), "invalid_certificate", false
	}
	if spec.Anonymous {
		kinds++
		a.verifier, a.anonymous, a.needsCredential = anonymousVerifier{}, true, false
	}
	if kinds != 1 {
		return nil, fmt.Errorf("an authentication rule needs exactly one method, it has %d", kinds)
	}
	if a.needsCredential {
		if a.loc, err = newLocator(spec.Credentials); err != nil {
			return nil, err
		}
	}
	a.challenge = challenge(spec, a.id, &a.loc)
	a.counters = p.rt.authnCounters(spec.Policy, spec.Name, a.anonymous)
	return a, nil
}

func (p *Plan) newAuthorizer(spec *snapshot.Authorizer, scopes map[string]int) (*authorizer, error) {
	rl, err := p.newRule(&spec.AuthRule, scopes)
	if err != nil {
		return nil, err
	}
	z := &authorizer{
		rule:      rl,
		allowed:   p.rt.counter(spec.Policy, spec.Name, outcomeAllowed),
		forbidden: p.rt.counter(spec.Policy, spec.Name, outcomeForbidden),
	}
	for _, c := range spec.Conditions {
		if c == nil {
			continue
		}
		pred, err := expr.NewPredicate(c.Expression)
		if err != nil {
			return nil, err
		}
		z.conditions = append(z.conditions, condition{predicate: pred, scope: c.Scope})
	}
	return z, nil
}

func newSuccessHeader(spec *snapshot.SuccessHeader) (*successHeader, error) {
	if spec.Name == "" {
		return nil, errors.New("a success header needs a name")
	}
	h := &successHeader{name: spec.Name}
	var err error
	if h.when, err = predicates(spec.When); err != nil {
		return nil, err
	}
	switch {
	case spec.Plain != nil:
		if h.plain, err = newValue(spec.Plain); err == nil {
			err = checkHeader(h.name, h.plain)
		}
	case len(spec.JSON) > 0:
		h.json, err = newNamedValues(spec.JSON)
	default:
		err = errors.New("a success header needs a plain value or JSON properties")
	}
	return h, err
}

func newDenial(spec *snapshot.DenialResponse) (*denial, error) {
	if spec == nil {
		return nil, nil
	}
	d := &denial{code: spec.Code}
	if d.code != 0 && (d.code < 200 || d.code > 599) {
		return nil, fmt.Errorf("status code %d is not a valid HTTP status", d.code)
	}
	var err error
	if spec.Message != nil {
		if d.message, err = newValue(spec.Message); err != nil {
			return nil, err
		}
	}
	if spec.Body != nil {
		if d.body, err = newValue(spec.Body); err != nil {
			return nil, err
		}
	}
	if d.headers, err = newNamedValues(spec.Headers); err != nil {
		return nil, err
	}
	for _, h := range d.headers {
		if err := checkHeader(h.name, h.value); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// checkHeader refuses a header whose name is not a token or whose static value
// could not be sent as it is.
func checkHeader(name string, v *value) error {
	if name == "" || strings.ContainsFunc(name, func(c rune) bool {
		return c <= ' ' || c >= 0x7f || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, c)
	}) {
		return fmt.Errorf("%q is not a valid header name", name)
	}
	if v.isStatic() && !safeHeaderValue([]byte(v.static)) {
		return fmt.Errorf("the value of header %s has control characters", name)
	}
	return nil
}
