package compiler

import (
	"fmt"
	"slices"

	tpv1a1 "github.com/turnpike-gateway/turnpike/api/v1alpha1"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// identityFilter is the one success filter Turnpike supports: its JSON properties
// are added to auth.identity, where RateLimitPolicy reads them (Kuadrant passes
// them to Limitador the same way).
const identityFilter = "identity"

// compileResponse compiles response.unauthenticated, response.unauthorized and
// response.success, each a rule of its own for merging.
func (a *authCompiler) compileResponse(field string, in *tpv1a1.AuthResponseRules) {
	if in.Unauthenticated != nil {
		if denial := a.denial(field+".unauthenticated", in.Unauthenticated); denial != nil {
			a.policy.rules["response.unauthenticated"] = &authRule{unauthenticated: denial}
		}
	}
	if in.Unauthorized != nil {
		if denial := a.denial(field+".unauthorized", in.Unauthorized); denial != nil {
			a.policy.rules["response.unauthorized"] = &authRule{unauthorized: denial}
		}
	}
	if in.Success == nil {
		return
	}
	for _, name := range sortedKeys(in.Success.Headers) {
		item := in.Success.Headers[name]
		if header := a.successHeader(fmt.Sprintf("%s.success.headers[%q]", field, name), name, &item); header != nil {
			a.policy.rules["response.success.headers."+name] = &authRule{successHeader: header}
		}
	}
	for _, name := range sortedKeys(in.Success.Filters) {
		item := in.Success.Filters[name]
		a.successFilter(fmt.Sprintf("%s.success.filters[%q]", field, name), name, &item)
	}
}

// denial compiles a custom 401 or 403.
func (a *authCompiler) denial(field string, in *tpv1a1.DenialResponse) *snapshot.DenialResponse {
	problems := len(a.problems)
	out := &snapshot.DenialResponse{Code: int(in.Code)}
	if in.Code != 0 && (in.Code < 300 || in.Code > 599) {
		a.problem("%s.code: %d is not a status code between 300 and 599", field, in.Code)
	}
	if in.Message != nil {
		out.Message = a.value(field+".message", in.Message, false)
	}
	if in.Body != nil {
		out.Body = a.value(field+".body", in.Body, false)
	}
	for _, name := range sortedKeys(in.Headers) {
		if !isHeaderName(name) {
			a.problem("%s.headers: %q is not a valid header name", field, name)
		}
	}
	if len(in.Headers) > 0 {
		out.Headers = a.namedValues(field+".headers", in.Headers, false)
	}
	if len(a.problems) > problems {
		return nil
	}
	return out
}

// successHeader compiles a header set on the request sent upstream. It applies
// where its policy's `when` and its own hold.
func (a *authCompiler) successHeader(field, name string, in *tpv1a1.SuccessResponse) *snapshot.SuccessHeader {
	problems := len(a.problems)
	out := &snapshot.SuccessHeader{Policy: a.policy.key.String(), Name: name}
	if in.Key != "" {
		out.Name = in.Key
	}
	if !isHeaderName(out.Name) {
		a.problem("%s: %q is not a valid header name", field, out.Name)
	}
	switch {
	case in.Wristband != nil:
		a.problem("%s.wristband: Festival Wristband tokens are not supported by Turnpike; use plain or json", field)
	case in.Plain != nil && in.JSON != nil:
		a.problem("%s: sets plain and json; set only one", field)
	case in.Plain != nil:
		out.Plain = a.value(field+".plain", in.Plain, false)
	case in.JSON != nil:
		out.JSON = a.namedValues(field+".json.properties", in.JSON.Properties, true)
	default:
		a.problem("%s: set plain or json", field)
	}
	out.When = slices.Concat(a.policyWhen, a.conditionExpressions(field+".when", in.When))
	if len(out.When) == 0 {
		out.When = nil
	}
	if len(a.problems) > problems {
		return nil
	}
	return out
}

// successFilter compiles the identity filter: each of its JSON properties is a
// rule of its own for merging, so that policies can add properties side by side.
func (a *authCompiler) successFilter(field, name string, in *tpv1a1.SuccessResponse) {
	switch {
	case name != identityFilter:
		a.problem("%s: only the filter named %q is supported by Turnpike; its properties are added to auth.identity", field, identityFilter)
		return
	case in.JSON == nil || in.Plain != nil || in.Wristband != nil:
		a.problem("%s: the %s filter must set json (properties), and only json", field, identityFilter)
		return
	case len(in.When) > 0:
		// The snapshot adds identity properties whenever a request authenticates;
		// a condition here would be silently ignored.
		a.problem("%s.when: is not supported on the %s filter; give each property a CEL expression instead", field, identityFilter)
		return
	case in.Key != "" && in.Key != identityFilter:
		a.problem("%s.key: must be %q or empty", field, identityFilter)
		return
	}
	for _, property := range a.namedValues(field+".json.properties", in.JSON.Properties, true) {
		a.policy.rules["response.success.filters.identity."+property.Name] = &authRule{identityExtra: property}
	}
}
