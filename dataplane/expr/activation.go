package expr

import (
	"github.com/google/cel-go/interpreter"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// Activation is what expressions read during one request: the request view and
// the identity the auth step authenticated. It is built for reuse: the caller
// keeps one in its pooled per-request state, calls Reset at the start of a
// request and Reset(nil) at its end, so that no request outlives its handler
// through it. An Activation serves one request at a time.
type Activation struct {
	req Request
	// Identity is what the auth step authenticated, read as auth.identity. Nil
	// (no AuthPolicy, or an anonymous request) reads as an empty map.
	Identity map[string]any

	// The variables, as lazy CEL maps that read req on demand. They live in the
	// Activation so that handing them to CEL allocates nothing.
	request requestMap
	headers headerMap
	source  sourceMap
	auth    map[string]any
}

// NewActivation returns an Activation ready for Reset.
func NewActivation() *Activation {
	a := &Activation{auth: make(map[string]any, 1)}
	a.request.init(&a.request, a)
	a.headers.init(&a.headers, a)
	a.source.init(&a.source, a)
	return a
}

// Reset starts a new request; Reset(nil) drops every reference to the previous
// one, identity included.
func (a *Activation) Reset(req Request) {
	a.req = req
	a.Identity = nil
	a.request.reset()
	a.headers.reset()
	a.source.reset()
	clear(a.auth)
}

// Request returns the request being evaluated.
func (a *Activation) Request() Request { return a.req }

// ResolveName implements interpreter.Activation: the variables of
// snapshot.NewExpressionEnv, and nothing else.
func (a *Activation) ResolveName(name string) (any, bool) {
	switch name {
	case snapshot.VarRequest:
		return &a.request, true
	case snapshot.VarSource:
		return &a.source, true
	case snapshot.VarAuth:
		identity := a.Identity
		if identity == nil {
			identity = map[string]any{}
		}
		a.auth["identity"] = identity
		return a.auth, true
	}
	return nil, false
}

// Parent implements interpreter.Activation; there is none.
func (a *Activation) Parent() interpreter.Activation { return nil }

var _ interpreter.Activation = (*Activation)(nil)
