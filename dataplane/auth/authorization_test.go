package auth

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// staticKeys is an API-key table with hand-made identities.
func staticKeys(identities map[string]map[string]any) *snapshot.APIKeyAuth {
	a := &snapshot.APIKeyAuth{Keys: map[snapshot.APIKeyDigest]*snapshot.APIKeyIdentity{}}
	for key, identity := range identities {
		a.Keys[snapshot.DigestAPIKey([]byte(key))] = &snapshot.APIKeyIdentity{Secret: "shop/" + key, Identity: identity}
	}
	return a
}

var people = map[string]map[string]any{
	"key-alice": {"user": "alice", "groups": []any{"dev", "ops"}, "scopes": []any{"read:toys", "write:toys"}},
	"key-bob":   {"user": "bob", "groups": []any{"sales"}, "scopes": []any{"read:toys"}},
}

func keyAuthenticator(policy string) *snapshot.Authenticator {
	return &snapshot.Authenticator{
		AuthRule:    authRule(policy, "keys"),
		Credentials: snapshot.Credentials{Source: snapshot.CredentialAuthorizationHeader, Name: "Authorization", Prefix: "APIKEY"},
		APIKey:      staticKeys(people),
	}
}

func TestAuthorization(t *testing.T) {
	t.Parallel()
	r := newRuntime(t, newClock())
	cond := func(source, scope string) *snapshot.AuthCondition {
		return &snapshot.AuthCondition{Expression: compile(t, source), Scope: scope}
	}
	tests := []struct {
		name       string
		authorizer *snapshot.Authorizer
		method     string
		// allowed lists the users let in, of alice and bob.
		allowed   []string
		scope     string
		challenge string
	}{
		{name: "eq", allowed: []string{"alice"}, authorizer: &snapshot.Authorizer{
			Conditions: []*snapshot.AuthCondition{cond("auth.identity.user == 'alice'", "")}}},
		{name: "incl", allowed: []string{"alice"}, authorizer: &snapshot.Authorizer{
			Conditions: []*snapshot.AuthCondition{cond("'ops' in auth.identity.groups", "")}}},
		{name: "all conditions", allowed: nil, authorizer: &snapshot.Authorizer{
			Conditions: []*snapshot.AuthCondition{cond("'dev' in auth.identity.groups", ""), cond("auth.identity.user == 'bob'", "")}}},
		{name: "CEL over request and identity", method: "POST", allowed: []string{"bob"}, authorizer: &snapshot.Authorizer{
			Conditions: []*snapshot.AuthCondition{cond("request.method == 'GET' || auth.identity.user == 'bob'", "")}}},
		{name: "evaluation error denies", allowed: nil, authorizer: &snapshot.Authorizer{
			Conditions: []*snapshot.AuthCondition{cond("auth.identity.no_such_claim == 'x'", "")}}},
		{name: "not a bool denies", allowed: nil, authorizer: &snapshot.Authorizer{
			Conditions: []*snapshot.AuthCondition{cond("auth.identity.user", "")}}},
		{name: "scope", allowed: []string{"alice"}, scope: "write:toys",
			challenge: `APIKEY realm="shop/authz/keys", error="insufficient_scope", scope="write:toys"`,
			authorizer: &snapshot.Authorizer{
				Conditions: []*snapshot.AuthCondition{cond("'write:toys' in auth.identity.scopes", "write:toys")}}},
		{name: "when does not hold", allowed: []string{"alice", "bob"}, authorizer: &snapshot.Authorizer{
			AuthRule:   snapshot.AuthRule{When: compileAll(t, "request.method == 'DELETE'")},
			Conditions: []*snapshot.AuthCondition{cond("false", "")}}},
		{name: "policy out of scope", allowed: []string{"alice", "bob"}, authorizer: &snapshot.Authorizer{
			AuthRule:   snapshot.AuthRule{PolicyWhen: compileAll(t, "request.url_path.startsWith('/admin')")},
			Conditions: []*snapshot.AuthCondition{cond("false", "")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.authorizer.Policy, tt.authorizer.Name = "shop/authz", "rule"
			plan := r.Plan(&snapshot.Auth{
				Authentication: []*snapshot.Authenticator{keyAuthenticator("shop/authz")},
				Authorization:  []*snapshot.Authorizer{tt.authorizer},
			})
			if err := plan.Err(); err != nil {
				t.Fatal(err)
			}
			for _, user := range []string{"alice", "bob"} {
				req := newRequest().withHeader("Authorization", "APIKEY key-"+user)
				if tt.method != "" {
					req.method = []byte(tt.method)
				}
				o := decide(t, plan, req)
				allowed := false
				for _, u := range tt.allowed {
					allowed = allowed || u == user
				}
				if allowed {
					o.wantAllowed(t)
					continue
				}
				o.wantRefused(t, 403, "forbidden")
				if o.d.Rule != "shop/authz/rule" {
					t.Errorf("%s: refused by %q, want shop/authz/rule", user, o.d.Rule)
				}
				if o.identity["user"] != user {
					t.Errorf("%s: the identity is not available to the 403 answer: %v", user, o.identity)
				}
				var challenges []string
				if tt.challenge != "" {
					challenges = []string{tt.challenge}
					if got, want := o.detail(t), "The request needs the OAuth scope "+tt.scope+"."; got != want {
						t.Errorf("%s: detail %q, want %q", user, got, want)
					}
				}
				if diff := cmp.Diff(challenges, o.headers("WWW-Authenticate")); diff != "" {
					t.Errorf("%s: WWW-Authenticate (-want +got):\n%s", user, diff)
				}
			}
		})
	}
}

// TestPolicyWhenExemptsPaths: a Gateway-wide policy whose `when` leaves out
// public paths asks nothing of them, and everything of the rest.
func TestPolicyWhenExemptsPaths(t *testing.T) {
	t.Parallel()
	r := newRuntime(t, newClock())
	authn := keyAuthenticator("infra/gateway-default")
	authn.PolicyWhen = compileAll(t, "!request.url_path.startsWith('/public')")
	plan := r.Plan(&snapshot.Auth{Authentication: []*snapshot.Authenticator{authn}})

	public := newRequest()
	public.path = []byte("/public/logo.png")
	o := decide(t, plan, public)
	o.wantAllowed(t)
	if o.identity == nil || len(o.identity) != 0 {
		t.Errorf("identity of an exempt request %v, want an empty map", o.identity)
	}
	decide(t, plan, newRequest()).wantRefused(t, 401, "credential-missing")
	decide(t, plan, newRequest().withHeader("Authorization", "APIKEY key-bob")).wantAllowed(t)
	if got := count(r, "infra/gateway-default", "keys", outcomeMissing); got != 1 {
		t.Errorf("credential-missing counted %d times, want 1 (the exempt request is not counted)", got)
	}
}

// TestRuleWhenSkipsAnAuthenticator: an authenticator whose own `when` does
// not hold is not tried; with none tried the request is refused.
func TestRuleWhenSkipsAnAuthenticator(t *testing.T) {
	t.Parallel()
	r := newRuntime(t, newClock())
	authn := keyAuthenticator("shop/when")
	authn.When = compileAll(t, "request.method == 'GET'", "auth.identity.nope == 'x'") // true, then an error
	plan := r.Plan(&snapshot.Auth{Authentication: []*snapshot.Authenticator{authn}})
	o := decide(t, plan, newRequest().withHeader("Authorization", "APIKEY key-alice"))
	o.wantRefused(t, 401, "credential-missing")
	if got := count(r, "shop/when", "keys", outcomeAuthenticated); got != 0 {
		t.Errorf("a skipped authenticator counted %d successes", got)
	}
}

func TestAnonymous(t *testing.T) {
	t.Parallel()
	r := newRuntime(t, newClock())
	plan := r.Plan(&snapshot.Auth{Authentication: []*snapshot.Authenticator{
		keyAuthenticator("shop/mixed"),
		{AuthRule: authRule("shop/mixed", "everyone-else"), Anonymous: true},
	}})
	o := decide(t, plan, newRequest())
	o.wantAllowed(t)
	if len(o.identity) != 0 {
		t.Errorf("anonymous identity %v, want empty", o.identity)
	}
	if o.d.Rule != "shop/mixed/everyone-else" {
		t.Errorf("rule %q", o.d.Rule)
	}
	o = decide(t, plan, newRequest().withHeader("Authorization", "APIKEY key-alice"))
	o.wantAllowed(t)
	if o.identity["user"] != "alice" {
		t.Errorf("identity %v, want alice's", o.identity)
	}
	if got := count(r, "shop/mixed", "everyone-else", outcomeAnonymous); got != 1 {
		t.Errorf("anonymous counted %d times, want 1", got)
	}
}

// TestIdentityExtras: extra properties go into a copy of the identity,
// before authorization reads it; the shared identity is never written.
func TestIdentityExtras(t *testing.T) {
	t.Parallel()
	r := newRuntime(t, newClock())
	plan := r.Plan(&snapshot.Auth{
		Authentication: []*snapshot.Authenticator{keyAuthenticator("shop/extras")},
		Authorization: []*snapshot.Authorizer{{
			AuthRule:   authRule("shop/extras", "gold-only"),
			Conditions: []*snapshot.AuthCondition{{Expression: compile(t, "auth.identity.tier == 'gold' && auth.identity.greeting == 'hello alice'")}},
		}},
		IdentityExtras: []*snapshot.NamedValue{
			{Name: "tier", Value: snapshot.Value{Static: "gold"}},
			{Name: "greeting", Value: snapshot.Value{Expression: compile(t, "'hello ' + auth.identity.user")}},
			{Name: "group_count", Value: snapshot.Value{Expression: compile(t, "size(auth.identity.groups)")}},
			{Name: "broken", Value: snapshot.Value{Expression: compile(t, "auth.identity.nope")}},
		},
	})
	o := decide(t, plan, newRequest().withHeader("Authorization", "APIKEY key-alice"))
	o.wantAllowed(t)
	want := map[string]any{
		"user": "alice", "groups": []any{"dev", "ops"}, "scopes": []any{"read:toys", "write:toys"},
		"tier": "gold", "greeting": "hello alice", "group_count": int64(2),
	}
	if diff := cmp.Diff(want, o.identity); diff != "" {
		t.Errorf("identity (-want +got):\n%s", diff)
	}
	if _, written := people["key-alice"]["tier"]; written {
		t.Error("the shared identity was modified")
	}
	decide(t, plan, newRequest().withHeader("Authorization", "APIKEY key-bob")).wantRefused(t, 403, "forbidden")
}
