package compiler

import (
	"strings"
	"testing"

	"github.com/google/cel-go/cel"

	tpv1a1 "github.com/turnpike-gateway/turnpike/api/v1alpha1"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// evaluate compiles source in the shared environment and runs it on vars.
func evaluate(t *testing.T, source string, vars map[string]any) (any, error) {
	t.Helper()
	env, err := expressionEnv()
	if err != nil {
		t.Fatal(err)
	}
	expr, err := snapshot.CompileExpression(env, source)
	if err != nil {
		t.Fatalf("%s does not compile: %v", source, err)
	}
	out, _, err := expr.Program.Eval(vars)
	if err != nil {
		return nil, err
	}
	return out.Value(), nil
}

func TestSelectorToCEL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		selector string
		want     string // CEL; empty when the selector is rejected
		problem  string // in the error
	}{
		{"request.method", "request.method", ""},
		{"auth.identity.realm_access.roles", "auth.identity.realm_access.roles", ""},
		{"auth.identity.groups.0", "auth.identity.groups[0]", ""},
		{"request.headers.X-API-Key", `request.headers["x-api-key"]`, ""},
		{"auth.identity.metadata.annotations.secret\\.kuadrant\\.io/user-id", `auth.identity.metadata.annotations["secret.kuadrant.io/user-id"]`, ""},
		{"auth.identity.in", `auth.identity["in"]`, ""},
		{"auth.identity.émoji", `auth.identity["émoji"]`, ""},
		{"source.address", "source.address", ""},
		{"context.request.http.method", "request.method", ""},
		{"context.request.http.headers.Authorization", "request.headers.authorization", ""},
		{"context.request.http.headers.X-Forwarded-For", `request.headers["x-forwarded-for"]`, ""},
		{"context.source.address.socketAddress.address", "source.address", ""},
		{"context.request.http.body", "", "Envoy attribute"},
		{"identity.sub", "", "must start with request, source or auth"},
		{"auth.identity.email.@extract:{sep:\" \",pos:0}", "", "uses '@'"},
		{"auth.identity.roles.#", "", "uses '#'"},
		{"auth.identity.*", "", "uses '*'"},
		{"auth..identity", "", "empty path segment"},
		{"auth.identity\\", "", "unfinished escape"},
		{"", "", "selector is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.selector, func(t *testing.T) {
			t.Parallel()
			got, err := selectorToCEL(tt.selector)
			switch {
			case tt.problem == "" && err != nil:
				t.Fatalf("rejected: %v", err)
			case tt.problem != "" && (err == nil || !strings.Contains(err.Error(), tt.problem)):
				t.Fatalf("error %v, want one with %q", err, tt.problem)
			case got != tt.want:
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			if tt.want != "" {
				env, _ := expressionEnv()
				if _, err := snapshot.CompileExpression(env, got); err != nil {
					t.Fatalf("%s does not compile: %v", got, err)
				}
			}
		})
	}
}

// TestCELStringRoundTrip: a quoted value evaluates to exactly the value, whatever
// it holds, so no value can break out of its literal.
func TestCELStringRoundTrip(t *testing.T) {
	t.Parallel()
	for _, value := range []string{
		"", "plain", `say "hi"`, `back\slash`, `\"`, "'single'", "tab\tnew\nline\rreturn",
		"é ü 日本 😀", "\x00\x01\x7f", "\u200b zero width, \u2028 line separator", `" + request.method + "`,
		"trailing backslash \\", "\uFFFD",
	} {
		got, err := evaluate(t, celString(value), map[string]any{})
		if err != nil {
			t.Fatalf("%q: %v", value, err)
		}
		if got != value {
			t.Errorf("%q quoted as %s evaluates to %q", value, celString(value), got)
		}
	}
}

func TestTemplateToCEL(t *testing.T) {
	t.Parallel()
	vars := map[string]any{"auth": map[string]any{"identity": map[string]any{"name": "Ada", "id": 7}}}
	tests := []struct {
		template, want string
	}{
		{"Hello, {auth.identity.name}!", "Hello, Ada!"},
		{"{auth.identity.name}#{auth.identity.id}", "Ada#7"},
		{"auth.identity.name", "Ada"},
	}
	for _, tt := range tests {
		source, err := templateToCEL(tt.template)
		if err != nil {
			t.Fatalf("%q: %v", tt.template, err)
		}
		got, err := evaluate(t, source, vars)
		if err != nil || got != tt.want {
			t.Errorf("%q (%s) = %v, %v; want %q", tt.template, source, got, err, tt.want)
		}
	}
	for _, bad := range []string{"Hello {auth.identity.name", "Hello }", "{identity.name}"} {
		if source, err := templateToCEL(bad); err == nil {
			t.Errorf("%q compiled to %s, want an error", bad, source)
		}
	}
}

// TestPatternOperators evaluates each operator on claims of every JSON type, as
// the data plane will: an absent claim is an evaluation error (the condition
// denies), never a silent true.
func TestPatternOperators(t *testing.T) {
	t.Parallel()
	identity := map[string]any{
		"sub": "ada", "roles": []any{"admin", "dev"}, "scope": "store:read store:write",
		"email_verified": true, "level": 3, "group": "staff-ops", "quote": `a "b" \c`,
	}
	vars := map[string]any{
		"auth":    map[string]any{"identity": identity},
		"request": map[string]any{"method": "GET", "headers": map[string]any{"x-tenant": "t1"}},
		"source":  map[string]any{},
	}
	tests := []struct {
		selector string
		operator tpv1a1.PatternOperator
		value    string
		want     any // true, false, or "error"
	}{
		{"auth.identity.sub", "eq", "ada", true},
		{"auth.identity.sub", "neq", "ada", false},
		{"auth.identity.email_verified", "eq", "true", true},
		{"auth.identity.level", "eq", "3", true},
		{"auth.identity.roles", "incl", "admin", true},
		{"auth.identity.roles", "incl", "ops", false},
		{"auth.identity.roles", "excl", "ops", true},
		{"auth.identity.scope", "incl", "store:write", true},
		{"auth.identity.scope", "incl", "store", false},
		{"auth.identity.scope", "excl", "store:read", false},
		{"auth.identity.group", "matches", "^staff-", true},
		{"auth.identity.group", "matches", "^partner-", false},
		{"auth.identity.quote", "eq", `a "b" \c`, true},
		{"request.headers.X-Tenant", "eq", "t1", true},
		{"auth.identity.missing", "eq", "x", "error"},
		{"auth.identity.missing", "excl", "x", "error"},
	}
	for _, tt := range tests {
		compiled, err := patternToCEL(tpv1a1.PatternExpression{Selector: tt.selector, Operator: tt.operator, Value: tt.value})
		if err != nil {
			t.Fatalf("%s %s %q: %v", tt.selector, tt.operator, tt.value, err)
		}
		got, err := evaluate(t, compiled.source, vars)
		if err != nil {
			got = "error"
		}
		if got != tt.want {
			t.Errorf("%s %s %q (%s) = %v, want %v", tt.selector, tt.operator, tt.value, compiled.source, got, tt.want)
		}
	}
}

func TestPatternScopes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr tpv1a1.PatternExpression
		want string
	}{
		{tpv1a1.PatternExpression{Selector: "auth.identity.scope", Operator: "incl", Value: "read"}, "read"},
		{tpv1a1.PatternExpression{Selector: "auth.identity.scp", Operator: "eq", Value: "read"}, "read"},
		{tpv1a1.PatternExpression{Selector: "auth.identity.scopes", Operator: "incl", Value: "read"}, "read"},
		{tpv1a1.PatternExpression{Selector: "auth.identity.scope", Operator: "excl", Value: "read"}, ""},
		{tpv1a1.PatternExpression{Selector: "auth.identity.roles", Operator: "incl", Value: "read"}, ""},
		{tpv1a1.PatternExpression{Selector: "auth.identity.scope", Operator: "eq", Value: "read write"}, ""},
	}
	for _, tt := range tests {
		compiled, err := patternToCEL(tt.expr)
		if err != nil {
			t.Fatal(err)
		}
		if compiled.scope != tt.want {
			t.Errorf("%+v: scope %q, want %q", tt.expr, compiled.scope, tt.want)
		}
	}
}

func TestJSONToCEL(t *testing.T) {
	t.Parallel()
	e := &expressionCompiler{cache: map[string]*snapshot.Expression{}}
	e.env, _ = expressionEnv()
	tests := []struct {
		raw  string
		want any
	}{
		{`42`, int64(42)},
		{`1.5`, 1.5},
		{`100.0`, 100.0},
		{`1e30`, 1e30},
		{`true`, true},
		{`"x\"y"`, `x"y`},
	}
	for _, tt := range tests {
		value := e.staticValue("v", []byte(tt.raw), true)
		if value == nil {
			t.Fatalf("%s: %v", tt.raw, e.problems)
		}
		var got any = value.Static
		if value.Expression != nil {
			out, _, err := value.Expression.Program.Eval(cel.NoVars())
			if err != nil {
				t.Fatalf("%s: %v", tt.raw, err)
			}
			got = out.Value()
		}
		if got != tt.want {
			t.Errorf("%s = %v (%T), want %v (%T)", tt.raw, got, got, tt.want, tt.want)
		}
	}
	if untyped := e.staticValue("v", []byte(`{"b": 1, "a": [true]}`), false); untyped == nil || untyped.Static != `{"b":1,"a":[true]}` {
		t.Errorf("an object as a header value = %+v, want its compact JSON", untyped)
	}
}
