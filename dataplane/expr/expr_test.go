package expr

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// evalGeneral runs the CEL program even for a shape that has a fast path.
func evalGeneral(t *testing.T, v *Value, a *Activation) (string, error) {
	t.Helper()
	slow := &Value{source: v.source, program: v.program}
	out, err := slow.Append(nil, a)
	return string(out), err
}

func TestVariables(t *testing.T) {
	t.Parallel()
	// Each parallel subtest gets its own request: fakeRequest counts visits.
	newRequest := func() *fakeRequest { return newFakeRequest("X-Api-Key", "k-123", "Accept", "text/plain") }
	tests := []struct {
		source string
		want   string
	}{
		{"request.method", "GET"},
		{"request.path", "/v1/toys?a=1&b=2"},
		{"request.host", "api.example.com"},
		{"request.scheme", "http"},
		{"request.query", "a=1&b=2"},
		{"request.url_path", "/v1/toys"},
		{"request.headers['x-api-key']", "k-123"},
		{`request.headers["accept"]`, "text/plain"},
		{"request.headers.accept", "text/plain"},
		{"request.headers['x-absent']", ""},
		{"request.headers['X-Api-Key']", ""}, // keys are lower case
		{"'x-api-key' in request.headers", "true"},
		{"'x-absent' in request.headers", "false"},
		{"size(request.headers)", "2"},
		{"request.headers.exists(k, k == 'x-api-key')", "true"},
		{"source.address", "203.0.113.7"},
		{"source.port", "51234"},
		{"size(auth.identity)", "0"},
		{"request.method + ':' + request.headers['x-api-key']", "GET:k-123"},
		{"request.path.startsWith('/v1')", "true"},
		{"2 * 21", "42"},
		{"1.5", "1.5"},
	}
	for _, tt := range tests {
		t.Run(tt.source, func(t *testing.T) {
			t.Parallel()
			v := mustValue(t, tt.source)
			got, err := evalGeneral(t, v, activation(newRequest()))
			if err != nil {
				t.Fatalf("eval: %v", err)
			}
			if got != tt.want {
				t.Errorf("%s = %q, want %q", tt.source, got, tt.want)
			}
		})
	}
}

func TestHostWithoutPort(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"example.com":      "example.com",
		"example.com:8080": "example.com",
		"[::1]:80":         "[::1]",
		"[::1]":            "[::1]",
		"10.0.0.1:443":     "10.0.0.1",
		"":                 "",
	} {
		if got := string(hostWithoutPort([]byte(in))); got != want {
			t.Errorf("hostWithoutPort(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRecognise(t *testing.T) {
	t.Parallel()
	tests := []struct {
		source string
		kind   fastKind
		header string
	}{
		{"request.headers['x-api-key']", fastHeader, "X-Api-Key"},
		{`request.headers["x-api-key"]`, fastHeader, "X-Api-Key"},
		{" request . headers [ 'authorization' ] ", fastHeader, "Authorization"},
		{"request.headers.authorization", fastHeader, "Authorization"},
		{"request.headers['X-Api-Key']", fastHeader, ""},
		{"source.address", fastSourceAddress, ""},
		{"request.method", fastMethod, ""},
		{"request.path", fastPathWithQuery, ""},
		{"request.url_path", fastPath, ""},
		{"request.host", fastHost, ""},
		{"request.scheme", general, ""},
		{"source.port", general, ""},
		{"has(request.headers.authorization)", general, ""},
		{"request.headers['x-a'] + request.headers['x-b']", general, ""},
		{"request.headers[request.method]", general, ""},
		{"auth.identity.username", general, ""},
		{"request.headers['x-a'].lowerAscii()", general, ""},
	}
	for _, tt := range tests {
		kind, header := recognise(tt.source)
		if kind != tt.kind || header != tt.header {
			t.Errorf("recognise(%q) = (%d, %q), want (%d, %q)", tt.source, kind, header, tt.kind, tt.header)
		}
	}
}

// TestFastPathsAgreeWithCEL: every shape read without CEL gives what CEL gives,
// over requests that vary what each shape reads.
func TestFastPathsAgreeWithCEL(t *testing.T) {
	t.Parallel()
	sources := []string{
		"request.headers['x-api-key']", "request.headers.authorization", "request.headers['X-Api-Key']",
		"request.headers['']", "source.address", "request.method", "request.path", "request.host",
	}
	requests := []*fakeRequest{
		newFakeRequest("X-Api-Key", "k-1", "Authorization", "Bearer abc"),
		newFakeRequest("x-api-key", ""),
		newFakeRequest(),
		func() *fakeRequest {
			r := newFakeRequest("X-API-KEY", "UPPER")
			r.method, r.path, r.host = []byte("DELETE"), []byte("/"), []byte("[2001:db8::1]:443")
			r.client = netip.MustParseAddrPort("[::ffff:192.0.2.1]:1")
			return r
		}(),
		func() *fakeRequest {
			r := newFakeRequest()
			r.host, r.client = []byte("EXAMPLE.org"), netip.AddrPort{}
			return r
		}(),
	}
	for _, source := range sources {
		v := mustValue(t, source)
		if !v.Fast() {
			t.Fatalf("%s has no fast path", source)
		}
		for i, req := range requests {
			a := activation(req)
			fast, err := v.Append(nil, a)
			if err != nil {
				t.Fatalf("%s on request %d: %v", source, i, err)
			}
			slow, err := evalGeneral(t, v, a)
			if err != nil {
				t.Fatalf("%s on request %d through CEL: %v", source, i, err)
			}
			if string(fast) != slow {
				t.Errorf("%s on request %d: fast %q, CEL %q", source, i, fast, slow)
			}
		}
	}
}

func TestPredicates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		source   string
		want     bool
		failures uint64
	}{
		{"request.headers['x-tier'] == 'gold'", true, 0},
		{"request.method == 'POST'", false, 0},
		{"request.nope == 'x'", false, 1},         // missing key: does not apply
		{"request.method", false, 1},              // not a bool: does not apply
		{"auth.identity.admin == true", false, 1}, // no identity yet
		{"!has(auth.identity.email_verified)", true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.source, func(t *testing.T) {
			t.Parallel()
			p := mustPredicate(t, tt.source)
			if got := p.Eval(activation(newFakeRequest("X-Tier", "gold"))); got != tt.want {
				t.Errorf("Eval = %v, want %v", got, tt.want)
			}
			if got := p.Failures(); got != tt.failures {
				t.Errorf("Failures = %d, want %d", got, tt.failures)
			}
		})
	}
}

func TestValueErrorsAreCountedAndLeaveDstAlone(t *testing.T) {
	t.Parallel()
	before := Failures().Values
	for _, source := range []string{"request.nope", "[1, 2]", "request.headers", "auth.identity.username"} {
		v := mustValue(t, source)
		out, err := v.Append([]byte("kept"), activation(newFakeRequest()))
		if err == nil {
			t.Errorf("%s: no error, value %q", source, out)
			continue
		}
		if string(out) != "kept" {
			t.Errorf("%s: dst changed to %q", source, out)
		}
		if !strings.Contains(err.Error(), source) {
			t.Errorf("%s: error %q does not name the counter", source, err)
		}
		if v.Failures() != 1 {
			t.Errorf("%s: Failures = %d, want 1", source, v.Failures())
		}
	}
	if got := Failures().Values - before; got < 4 {
		t.Errorf("process-wide value failures grew by %d, want at least 4", got)
	}
}

func TestIdentitySlot(t *testing.T) {
	t.Parallel()
	user := mustValue(t, "auth.identity.username")
	a := NewActivation()
	a.Reset(newFakeRequest())
	a.Identity = map[string]any{"username": "alice", "groups": []string{"admin"}}
	got, err := user.Append(nil, a)
	if err != nil || string(got) != "alice" {
		t.Fatalf("auth.identity.username = %q, %v; want alice", got, err)
	}
	if !mustPredicate(t, "'admin' in auth.identity.groups").Eval(a) {
		t.Error("'admin' in auth.identity.groups is false")
	}
	// The next request on the same Activation must not see the identity.
	a.Reset(newFakeRequest())
	if _, err := user.Append(nil, a); err == nil {
		t.Error("identity leaked into the next request")
	}
}

// TestEvaluationIsLazy: reading one header never visits every header, and
// reading the client address never touches headers.
func TestEvaluationIsLazy(t *testing.T) {
	t.Parallel()
	req := newFakeRequest("X-Api-Key", "k")
	a := activation(req)
	for _, source := range []string{"request.headers['x-api-key'] + ''", "source.address + ''", "request.method == 'GET'"} {
		if _, err := mustValue(t, source).Append(nil, a); err != nil {
			t.Fatalf("%s: %v", source, err)
		}
	}
	if req.visits != 0 {
		t.Errorf("headers visited %d times, want 0", req.visits)
	}
	if _, err := mustValue(t, "size(request.headers)").Append(nil, a); err != nil {
		t.Fatal(err)
	}
	if req.visits != 1 {
		t.Errorf("size(request.headers) visited headers %d times, want 1", req.visits)
	}
}

func TestNilExpressionsAreRejected(t *testing.T) {
	t.Parallel()
	if _, err := NewPredicate(nil); err == nil {
		t.Error("NewPredicate(nil) succeeded")
	}
	if _, err := NewValue(nil); err == nil {
		t.Error("NewValue(nil) succeeded")
	}
	if diff := cmp.Diff("request.method", mustValue(t, "request.method").Source()); diff != "" {
		t.Error(diff)
	}
}
