package auth

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/turnpike-gateway/turnpike/dataplane/expr"
	"github.com/turnpike-gateway/turnpike/dataplane/problem"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

func TestSuccessHeaders(t *testing.T) {
	t.Parallel()
	r := newRuntime(t, newClock())
	value := func(source string) *snapshot.Value { return &snapshot.Value{Expression: compile(t, source)} }
	plan := r.Plan(&snapshot.Auth{
		Authentication: []*snapshot.Authenticator{keyAuthenticator("shop/headers")},
		SuccessHeaders: []*snapshot.SuccessHeader{
			{Policy: "shop/headers", Name: "X-Auth-Source", Plain: &snapshot.Value{Static: "turnpike"}},
			{Policy: "shop/headers", Name: "X-User", Plain: value("auth.identity.user")},
			{Policy: "shop/headers", Name: "X-Identity", JSON: []*snapshot.NamedValue{
				{Name: "user", Value: *value("auth.identity.user")},
				{Name: "groups", Value: *value("auth.identity.groups")},
				{Name: "n", Value: *value("size(auth.identity.groups) * 10")},
				{Name: "quote\"d", Value: snapshot.Value{Static: "<a & b>"}},
				{Name: "skipped", Value: *value("auth.identity.nope")},
			}},
			{Policy: "shop/headers", Name: "X-Only-On-Post", Plain: &snapshot.Value{Static: "yes"}, When: compileAll(t, "request.method == 'POST'")},
			{Policy: "shop/headers", Name: "X-Broken", Plain: value("auth.identity.nope")},
			{Policy: "shop/headers", Name: "X-Injected", Plain: value("'a\\r\\nX-Admin: true'")},
		},
	})
	if err := plan.Err(); err != nil {
		t.Fatal(err)
	}
	// The client sends headers of the same names: none must reach the backend.
	req := newRequest().withHeader("Authorization", "APIKEY key-alice").withHeader("X-Only-On-Post", "forged").withHeader("X-Broken", "forged")
	o := decide(t, plan, req)
	o.wantAllowed(t)
	want := map[string]string{
		"X-Auth-Source": "turnpike",
		"X-User":        "alice",
		"X-Identity":    `{"user":"alice","groups":["dev","ops"],"n":20,"quote\"d":"\u003ca \u0026 b\u003e"}`,
	}
	if diff := cmp.Diff(want, o.up.set); diff != "" {
		t.Errorf("headers set (-want +got):\n%s", diff)
	}
	var decoded map[string]any
	if err := json.Unmarshal([]byte(o.up.set["X-Identity"]), &decoded); err != nil {
		t.Errorf("X-Identity is not JSON: %v", err)
	}
	if diff := cmp.Diff([]string{"Authorization", "X-Only-On-Post", "X-Broken", "X-Injected"}, o.up.delHeaders); diff != "" {
		t.Errorf("headers removed (-want +got):\n%s", diff)
	}

	// Refused requests get no success headers.
	o = decide(t, plan, newRequest().withHeader("Authorization", "APIKEY wrong-key"))
	o.wantRefused(t, 401, "credential-invalid")
	if len(o.up.set) != 0 {
		t.Errorf("a refused request got headers %v", o.up.set)
	}
}

func TestDenialResponses(t *testing.T) {
	t.Parallel()
	r := newRuntime(t, newClock())
	authz := []*snapshot.Authorizer{{
		AuthRule:   authRule("shop/deny", "alice-only"),
		Conditions: []*snapshot.AuthCondition{{Expression: compile(t, "auth.identity.user == 'alice'")}},
	}}
	tests := []struct {
		name            string
		auth            *snapshot.Auth
		key             string
		status          int
		contentType     string
		body            string
		detail          string
		headers         []Header
		wantChallenge   bool
		problemStatusOK bool
	}{
		{
			name: "redirect to a login page",
			auth: &snapshot.Auth{Unauthenticated: &snapshot.DenialResponse{
				Code:    302,
				Headers: []*snapshot.NamedValue{{Name: "Location", Value: snapshot.Value{Static: "https://login.example.com/"}}},
				Body:    &snapshot.Value{Static: "Log in first."},
			}},
			status: 302, contentType: "text/plain; charset=utf-8", body: "Log in first.",
			headers:       []Header{{Name: "Location", Value: "https://login.example.com/"}},
			wantChallenge: true,
		},
		{
			name: "message replaces the detail",
			auth: &snapshot.Auth{Unauthorized: &snapshot.DenialResponse{
				Message: &snapshot.Value{Expression: compile(t, "'Sorry ' + auth.identity.user + ', alice only.'")},
				Headers: []*snapshot.NamedValue{{Name: "X-Denied-By", Value: snapshot.Value{Static: "shop/deny"}}},
			}},
			key: "key-bob", status: 403, contentType: problem.ContentType, detail: "Sorry bob, alice only.",
			headers: []Header{{Name: "X-Denied-By", Value: "shop/deny"}},
		},
		{
			name: "code replaces the status, in the body too",
			auth: &snapshot.Auth{Unauthorized: &snapshot.DenialResponse{Code: 404}},
			key:  "key-bob", status: 404, contentType: problem.ContentType, detail: problem.Forbidden.Detail,
		},
		{
			name: "a JSON body with its content type",
			auth: &snapshot.Auth{Unauthenticated: &snapshot.DenialResponse{
				Headers: []*snapshot.NamedValue{{Name: "content-type", Value: snapshot.Value{Static: "application/json"}}},
				Body:    &snapshot.Value{Expression: compile(t, `'{"error":"' + request.url_path + '"}'`)},
			}},
			key: "wrong-key-1234", status: 401, contentType: "application/json", body: `{"error":"/v1/toys"}`,
			wantChallenge: true,
		},
		{
			name: "parts that fail are left as they were",
			auth: &snapshot.Auth{Unauthorized: &snapshot.DenialResponse{
				Message: &snapshot.Value{Expression: compile(t, "auth.identity.nope")},
				Body:    &snapshot.Value{Expression: compile(t, "auth.identity.nope")},
			}},
			key: "key-bob", status: 403, contentType: problem.ContentType, detail: problem.Forbidden.Detail,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.auth.Authentication = []*snapshot.Authenticator{keyAuthenticator("shop/deny")}
			tt.auth.Authorization = authz
			plan := r.Plan(tt.auth)
			if err := plan.Err(); err != nil {
				t.Fatal(err)
			}
			req := newRequest()
			if tt.key != "" {
				req.withHeader("Authorization", "APIKEY "+tt.key)
			}
			o := decide(t, plan, req)
			if o.d.Outcome != Denied || o.d.Status != tt.status || o.d.ContentType != tt.contentType {
				t.Fatalf("outcome %s, status %d, content type %q; want denied, %d, %q", o.d.Outcome, o.d.Status, o.d.ContentType, tt.status, tt.contentType)
			}
			if tt.body != "" && string(o.d.Body) != tt.body {
				t.Errorf("body %q, want %q", o.d.Body, tt.body)
			}
			if tt.detail != "" {
				o.problemType(t) // checks the body's status matches
				if got := o.detail(t); got != tt.detail {
					t.Errorf("detail %q, want %q", got, tt.detail)
				}
			}
			var others []Header
			for _, h := range o.d.Headers {
				if h.Name != "WWW-Authenticate" {
					others = append(others, h)
				}
			}
			if diff := cmp.Diff(tt.headers, others); diff != "" {
				t.Errorf("headers (-want +got):\n%s", diff)
			}
			if got := len(o.headers("WWW-Authenticate")) > 0; got != tt.wantChallenge {
				t.Errorf("WWW-Authenticate present %v, want %v", got, tt.wantChallenge)
			}
			assertNoLeak(t, o, "wrong-key-1234")
		})
	}
}

// TestPlansThatCannotBeEnforcedFailClosed: a policy the engine cannot apply
// as written refuses every request instead of serving the route without it.
func TestPlansThatCannotBeEnforcedFailClosed(t *testing.T) {
	t.Parallel()
	r := newRuntime(t, newClock())
	twoMethods := keyAuthenticator("shop/broken")
	twoMethods.Anonymous = true
	for name, a := range map[string]*snapshot.Auth{
		"two methods": {Authentication: []*snapshot.Authenticator{twoMethods}},
		"no method":   {Authentication: []*snapshot.Authenticator{{AuthRule: authRule("shop/broken", "none")}}},
		"uncompiled when": {Authentication: []*snapshot.Authenticator{{
			AuthRule: snapshot.AuthRule{Policy: "shop/broken", Name: "w", When: []*snapshot.Expression{{Source: "true"}}}, Anonymous: true}}},
		"JWT without URL": {Authentication: []*snapshot.Authenticator{{
			AuthRule: authRule("shop/broken", "jwt"), Credentials: bearerCredentials(), JWT: &snapshot.JWTAuth{}}}},
		"custom header without a name": {Authentication: []*snapshot.Authenticator{{
			AuthRule: authRule("shop/broken", "key"), Credentials: snapshot.Credentials{Source: snapshot.CredentialCustomHeader}, APIKey: apiKeys("a")}}},
		"bad denial code": {Unauthorized: &snapshot.DenialResponse{Code: 42}},
		"denial header name": {Unauthorized: &snapshot.DenialResponse{
			Headers: []*snapshot.NamedValue{{Name: "X Bad: name", Value: snapshot.Value{Static: "v"}}}}},
		"success header with a line break": {SuccessHeaders: []*snapshot.SuccessHeader{
			{Policy: "shop/broken", Name: "X-User", Plain: &snapshot.Value{Static: "a\r\nX-Admin: true"}}}},
		"introspection endpoint not a URL": {Authentication: []*snapshot.Authenticator{{
			AuthRule: authRule("shop/broken", "i"), Credentials: bearerCredentials(), Introspection: &snapshot.IntrospectionAuth{Endpoint: "not a url"}}}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			plan := r.Plan(a)
			if plan.Err() == nil {
				t.Fatal("Plan accepted a policy it cannot enforce")
			}
			o := decide(t, plan, newRequest().withHeader("Authorization", "APIKEY key-alice"))
			o.wantRefused(t, 500, "route-unavailable")
			if o.d.Outcome != Unavailable {
				t.Errorf("outcome %s, want unavailable", o.d.Outcome)
			}
		})
	}
}

// TestNoPolicy: a nil or empty Auth asks nothing.
func TestNoPolicy(t *testing.T) {
	t.Parallel()
	r := newRuntime(t, newClock())
	for _, a := range []*snapshot.Auth{nil, {}} {
		o := decide(t, r.Plan(a), newRequest())
		o.wantAllowed(t)
		if o.identity == nil || len(o.identity) != 0 {
			t.Errorf("identity %v, want an empty map", o.identity)
		}
	}
}

// TestCountersOutliveSnapshots: a new plan for the same rules continues the
// same counters, so that Prometheus sees them only grow.
func TestCountersOutliveSnapshots(t *testing.T) {
	t.Parallel()
	r := newRuntime(t, newClock())
	build := func() *Plan {
		return r.Plan(&snapshot.Auth{
			Authentication: []*snapshot.Authenticator{keyAuthenticator("shop/count")},
			Authorization: []*snapshot.Authorizer{{
				AuthRule: authRule("shop/count", "alice-only"), Conditions: []*snapshot.AuthCondition{{Expression: compile(t, "auth.identity.user == 'alice'")}},
			}},
		})
	}
	first := build()
	decide(t, first, newRequest().withHeader("Authorization", "APIKEY key-alice")).wantAllowed(t)
	second := build()
	decide(t, second, newRequest().withHeader("Authorization", "APIKEY key-alice")).wantAllowed(t)
	decide(t, second, newRequest().withHeader("Authorization", "APIKEY key-bob")).wantRefused(t, 403, "forbidden")
	decide(t, second, newRequest()).wantRefused(t, 401, "credential-missing")

	var got []string
	for _, c := range r.Decisions() {
		if c.Policy == "shop/count" {
			got = append(got, c.Rule+" "+c.Outcome+" "+strings.Repeat("|", int(c.Count)))
		}
	}
	want := []string{
		"alice-only allowed ||",
		"alice-only forbidden |",
		"keys authenticated |||",
		"keys credential-expired ",
		"keys credential-invalid ",
		"keys credential-missing |",
		"keys unavailable ",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decisions (-want +got):\n%s", diff)
	}
}

// TestDecisionIsReusable: a pooled Decision carries nothing from one request
// into the next.
func TestDecisionIsReusable(t *testing.T) {
	t.Parallel()
	r := newRuntime(t, newClock())
	plan := r.Plan(&snapshot.Auth{Authentication: []*snapshot.Authenticator{keyAuthenticator("shop/reuse")}})
	d := &Decision{}
	act := expr.NewActivation()
	run := func(req *fakeRequest) {
		act.Reset(req)
		plan.Decide(req, act, newUpstream(), d)
	}
	run(newRequest().withHeader("Authorization", "APIKEY wrong-key"))
	if d.Status != 401 || len(d.Headers) != 1 {
		t.Fatalf("status %d, headers %v", d.Status, d.Headers)
	}
	run(newRequest().withHeader("Authorization", "APIKEY key-alice"))
	if d.Outcome != Allowed || d.Status != 0 || len(d.Headers) != 0 || d.Body != nil || d.Reason != "" || d.ContentType != "" {
		t.Errorf("a reused decision kept state: %+v", d)
	}
	d.Reset()
	for i, res := range d.results[:cap(d.results)] {
		if res.identity != nil {
			t.Errorf("result %d still holds an identity after Reset", i)
		}
	}
}
