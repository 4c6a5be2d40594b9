package auth

import (
	"crypto/x509"
	"encoding/json"
	"net/netip"
	"net/textproto"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/turnpike-gateway/turnpike/dataplane/expr"
	"github.com/turnpike-gateway/turnpike/dataplane/problem"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// fakeRequest is a Request over plain values, stored as bytes so that reading
// it allocates nothing.
type fakeRequest struct {
	method, path, host, query []byte
	headers                   map[string][]byte
	args                      map[string][]byte
	cookies                   map[string][]byte
	certs                     []*x509.Certificate
}

func newRequest() *fakeRequest {
	return &fakeRequest{
		method: []byte("GET"), path: []byte("/v1/toys"), host: []byte("api.example.com"),
		headers: map[string][]byte{}, args: map[string][]byte{}, cookies: map[string][]byte{},
	}
}

func (r *fakeRequest) withHeader(name, value string) *fakeRequest {
	r.headers[textproto.CanonicalMIMEHeaderKey(name)] = []byte(value)
	return r
}

func (r *fakeRequest) withQuery(name, value string) *fakeRequest {
	r.args[name] = []byte(value)
	return r
}

func (r *fakeRequest) withCookie(name, value string) *fakeRequest {
	r.cookies[name] = []byte(value)
	return r
}

func (r *fakeRequest) withBearer(token string) *fakeRequest {
	return r.withHeader("Authorization", "Bearer "+token)
}

func (r *fakeRequest) Method() []byte   { return r.method }
func (r *fakeRequest) Path() []byte     { return r.path }
func (r *fakeRequest) Host() []byte     { return r.host }
func (r *fakeRequest) Scheme() []byte   { return []byte("https") }
func (r *fakeRequest) RawQuery() []byte { return r.query }
func (r *fakeRequest) Header(name string) ([]byte, bool) {
	v, ok := r.headers[name]
	return v, ok && len(v) > 0
}
func (r *fakeRequest) QueryArg(name string) ([]byte, bool) {
	v, ok := r.args[name]
	return v, ok
}
func (r *fakeRequest) VisitHeaders(visit func(name, value []byte)) {
	for name, v := range r.headers {
		visit([]byte(name), v)
	}
}
func (r *fakeRequest) ClientAddr() netip.AddrPort {
	return netip.MustParseAddrPort("203.0.113.7:51234")
}
func (r *fakeRequest) Cookie(name string) ([]byte, bool) {
	v, ok := r.cookies[name]
	return v, ok
}
func (r *fakeRequest) PeerCertificates() []*x509.Certificate { return r.certs }

// fakeUpstream records the edits Decide makes to the forwarded request.
type fakeUpstream struct {
	set                             map[string]string
	delHeaders, delArgs, delCookies []string
}

func newUpstream() *fakeUpstream { return &fakeUpstream{set: map[string]string{}} }

func (u *fakeUpstream) SetHeader(name, value string) { u.set[name] = value }
func (u *fakeUpstream) DelHeader(name string)        { u.delHeaders = append(u.delHeaders, name) }
func (u *fakeUpstream) DelQueryArg(name string)      { u.delArgs = append(u.delArgs, name) }
func (u *fakeUpstream) DelCookie(name string)        { u.delCookies = append(u.delCookies, name) }

// discardUpstream drops every edit, without allocating.
type discardUpstream struct{ edits int }

func (u *discardUpstream) SetHeader(string, string) { u.edits++ }
func (u *discardUpstream) DelHeader(string)         { u.edits++ }
func (u *discardUpstream) DelQueryArg(string)       { u.edits++ }
func (u *discardUpstream) DelCookie(string)         { u.edits++ }

// clock is a settable clock for RuntimeOptions.Now.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC).UnixNano())
	return c
}

func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// newRuntime returns a runtime on clk, closed when the test ends.
func newRuntime(t testing.TB, clk *clock, tweak ...func(*RuntimeOptions)) *Runtime {
	t.Helper()
	opts := RuntimeOptions{Now: clk.Now}
	for _, f := range tweak {
		f(&opts)
	}
	r := NewRuntime(opts)
	t.Cleanup(r.Close)
	return r
}

var exprEnv = sync.OnceValues(snapshot.NewExpressionEnv)

// compile compiles a CEL expression in the shared environment.
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

func compileAll(t testing.TB, sources ...string) []*snapshot.Expression {
	t.Helper()
	var out []*snapshot.Expression
	for _, s := range sources {
		out = append(out, compile(t, s))
	}
	return out
}

func authRule(policy, name string) snapshot.AuthRule {
	return snapshot.AuthRule{Policy: policy, Name: name}
}

func bearerCredentials() snapshot.Credentials {
	return snapshot.Credentials{Source: snapshot.CredentialAuthorizationHeader, Name: "Authorization", Prefix: "Bearer"}
}

// outcome is what a test reads of one decision.
type outcome struct {
	d        *Decision
	act      *expr.Activation
	up       *fakeUpstream
	identity map[string]any
}

// decide runs a plan on a request with fresh state.
func decide(t testing.TB, p *Plan, req *fakeRequest) outcome {
	t.Helper()
	act := expr.NewActivation()
	act.Reset(req)
	up := newUpstream()
	d := &Decision{}
	p.Decide(req, act, up, d)
	return outcome{d: d, act: act, up: up, identity: act.Identity}
}

// problemType returns the "type" of a problem body, "" when it is none.
func (o outcome) problemType(t testing.TB) string {
	t.Helper()
	if o.d.ContentType != problem.ContentType {
		return ""
	}
	var doc struct {
		Type   string `json:"type"`
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}
	if err := json.Unmarshal(o.d.Body, &doc); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, o.d.Body)
	}
	if doc.Status != o.d.Status {
		t.Errorf("problem status %d differs from the response status %d", doc.Status, o.d.Status)
	}
	return doc.Type
}

func (o outcome) detail(t testing.TB) string {
	t.Helper()
	var doc struct {
		Detail string `json:"detail"`
	}
	if err := json.Unmarshal(o.d.Body, &doc); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, o.d.Body)
	}
	return doc.Detail
}

// headers returns the values of a response header, in order.
func (o outcome) headers(name string) []string {
	var out []string
	for _, h := range o.d.Headers {
		if h.Name == name {
			out = append(out, h.Value)
		}
	}
	return out
}

// wantAllowed fails unless the request was let through.
func (o outcome) wantAllowed(t testing.TB) {
	t.Helper()
	if o.d.Outcome != Allowed {
		t.Fatalf("outcome %s, status %d, reason %q, body %s; want allowed", o.d.Outcome, o.d.Status, o.d.Reason, o.d.Body)
	}
}

// wantRefused fails unless the request was refused with status and problem type.
func (o outcome) wantRefused(t testing.TB, status int, problemType string) {
	t.Helper()
	if o.d.Outcome == Allowed || o.d.Status != status {
		t.Fatalf("outcome %s, status %d, reason %q; want status %d", o.d.Outcome, o.d.Status, o.d.Reason, status)
	}
	if problemType != "" {
		if got := o.problemType(t); got != problem.TypeBase+problemType {
			t.Errorf("problem type %q, want %q", got, problem.TypeBase+problemType)
		}
	}
}

// count returns the decision counter of (policy, rule, outcome).
func count(r *Runtime, policy, rule, outcome string) uint64 {
	for _, c := range r.Decisions() {
		if c.Policy == policy && c.Rule == rule && c.Outcome == outcome {
			return c.Count
		}
	}
	return 0
}
