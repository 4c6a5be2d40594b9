package ratelimit

import (
	"net/netip"
	"net/textproto"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"github.com/turnpike-gateway/turnpike/dataplane/expr"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// request is an expr.Request with a method, headers and a client address.
type request struct {
	method  []byte
	headers map[string][]byte
	client  netip.AddrPort
}

func newRequest(headers ...string) *request {
	r := &request{method: []byte("GET"), headers: map[string][]byte{}, client: netip.MustParseAddrPort("192.0.2.10:40000")}
	for i := 0; i+1 < len(headers); i += 2 {
		r.headers[textproto.CanonicalMIMEHeaderKey(headers[i])] = []byte(headers[i+1])
	}
	return r
}

func (r *request) Method() []byte                 { return r.method }
func (r *request) Path() []byte                   { return []byte("/") }
func (r *request) Host() []byte                   { return []byte("api.test") }
func (r *request) Scheme() []byte                 { return []byte("http") }
func (r *request) RawQuery() []byte               { return nil }
func (r *request) QueryArg(string) ([]byte, bool) { return nil, false }
func (r *request) Header(name string) ([]byte, bool) {
	v, ok := r.headers[name]
	return v, ok && len(v) > 0
}
func (r *request) VisitHeaders(visit func(name, value []byte)) {
	for name, value := range r.headers {
		visit([]byte(name), value)
	}
}
func (r *request) ClientAddr() netip.AddrPort { return r.client }

var exprEnv = sync.OnceValues(snapshot.NewExpressionEnv)

func compile(t testing.TB, source string) *snapshot.Expression {
	t.Helper()
	env, err := exprEnv()
	if err != nil {
		t.Fatal(err)
	}
	e, err := snapshot.CompileExpression(env, source)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// limitSpec is a snapshot limit "ns/policy/<name>" with the given rates
// (alternating limit and window) and counters.
func limitSpec(t testing.TB, name string, counters []string, rates ...any) *snapshot.RateLimit {
	t.Helper()
	spec := &snapshot.RateLimit{Policy: "ns/policy", Name: name, CounterKey: "uid-1/" + name}
	for i := 0; i+1 < len(rates); i += 2 {
		spec.Rates = append(spec.Rates, snapshot.Rate{Limit: int64(rates[i].(int)), Window: rates[i+1].(time.Duration)})
	}
	for _, c := range counters {
		spec.Counters = append(spec.Counters, compile(t, c))
	}
	return spec
}

// fakeClock is a settable clock; reads are atomic so concurrent tests are race-free.
type fakeClock struct{ now atomic.Int64 }

func (c *fakeClock) read() int64         { return c.now.Load() }
func (c *fakeClock) set(t time.Duration) { c.now.Store(int64(t)) }

// buildSet prepares specs on a fresh builder of r and commits it.
func buildSet(t testing.TB, r *Registry, specs ...*snapshot.RateLimit) *Set {
	t.Helper()
	b := r.NewBuilder()
	set, err := b.Limits(specs)
	if err != nil {
		t.Fatalf("Limits: %v", err)
	}
	b.Commit()
	return set
}

func localRegistry(clock *fakeClock, opts Options) *Registry {
	return newRegistry(opts, logr.Discard(), clock.read)
}

// check runs one request through set with a fresh activation and verdict.
func check(set *Set, req expr.Request) *Verdict {
	a := expr.NewActivation()
	a.Reset(req)
	v := &Verdict{}
	set.Check(a, v)
	return v
}
