package expr

import (
	"net/netip"
	"net/textproto"
	"testing"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// fakeRequest is a Request over plain values. It counts whole-header visits, so
// that tests can tell whether an evaluation stayed lazy.
type fakeRequest struct {
	method, path, host, scheme, query []byte
	// headers by canonical name; order is the order of names.
	names   []string
	headers map[string][]byte
	client  netip.AddrPort
	visits  int
}

func newFakeRequest(headers ...string) *fakeRequest {
	r := &fakeRequest{
		method: []byte("GET"), path: []byte("/v1/toys"), host: []byte("API.Example.com:8080"),
		scheme: []byte("http"), query: []byte("a=1&b=2"), headers: map[string][]byte{},
		client: netip.MustParseAddrPort("203.0.113.7:51234"),
	}
	for i := 0; i+1 < len(headers); i += 2 {
		name := textproto.CanonicalMIMEHeaderKey(headers[i])
		if _, seen := r.headers[name]; !seen {
			r.names = append(r.names, name)
			r.headers[name] = []byte(headers[i+1])
		}
	}
	return r
}

func (r *fakeRequest) Method() []byte   { return r.method }
func (r *fakeRequest) Path() []byte     { return r.path }
func (r *fakeRequest) Host() []byte     { return r.host }
func (r *fakeRequest) Scheme() []byte   { return r.scheme }
func (r *fakeRequest) RawQuery() []byte { return r.query }
func (r *fakeRequest) QueryArg(string) ([]byte, bool) {
	return nil, false
}
func (r *fakeRequest) Header(canonicalName string) ([]byte, bool) {
	v, ok := r.headers[canonicalName]
	return v, ok && len(v) > 0
}
func (r *fakeRequest) VisitHeaders(visit func(name, value []byte)) {
	r.visits++
	for _, name := range r.names {
		visit([]byte(name), r.headers[name])
	}
}
func (r *fakeRequest) ClientAddr() netip.AddrPort { return r.client }

// compile compiles source in the shared environment or fails the test.
func compile(t testing.TB, source string) *snapshot.Expression {
	t.Helper()
	env, err := parseEnv()
	if err != nil {
		t.Fatalf("env: %v", err)
	}
	e, err := snapshot.CompileExpression(env, source)
	if err != nil {
		t.Fatalf("compile %q: %v", source, err)
	}
	return e
}

func mustValue(t testing.TB, source string) *Value {
	t.Helper()
	v, err := NewValue(compile(t, source))
	if err != nil {
		t.Fatalf("NewValue(%q): %v", source, err)
	}
	return v
}

func mustPredicate(t testing.TB, source string) *Predicate {
	t.Helper()
	p, err := NewPredicate(compile(t, source))
	if err != nil {
		t.Fatalf("NewPredicate(%q): %v", source, err)
	}
	return p
}

// activation returns an Activation reset for req.
func activation(req Request) *Activation {
	a := NewActivation()
	a.Reset(req)
	return a
}
