package compiler

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	tpv1a1 "github.com/turnpike-gateway/turnpike/api/v1alpha1"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// Defaults of authentication settings Authorino leaves open or sets otherwise.
const (
	// defaultCredentialPrefix is Authorino's default authorization scheme.
	defaultCredentialPrefix = "Bearer"
	// defaultJWKSRefresh replaces Authorino's "never refresh" when jwt.ttl is not
	// set: a key set that is never fetched again breaks every token once the
	// issuer rotates its keys.
	defaultJWKSRefresh = 10 * time.Minute
	// defaultClockSkew is the leeway for a token's times when jwt.clockSkew is not
	// set: clocks of issuers and gateways drift.
	defaultClockSkew = 30 * time.Second
	// defaultCacheTTL is Authorino's cache.ttl default, in seconds.
	defaultCacheTTL = 60
)

// authentication compiles one authentication rule; nil when it has a problem.
func (a *authCompiler) authentication(field, name string, rule *tpv1a1.AuthenticationRule) *snapshot.Authenticator {
	problems := len(a.problems)
	var methods []string
	for method, set := range map[string]bool{
		"apiKey": rule.APIKey != nil, "jwt": rule.JWT != nil, "x509": rule.X509 != nil,
		"oauth2Introspection": rule.OAuth2Introspection != nil, "anonymous": rule.Anonymous != nil,
		"kubernetesTokenReview": rule.KubernetesTokenReview != nil, "plain": rule.Plain != nil,
	} {
		if set {
			methods = append(methods, method)
		}
	}
	switch {
	case len(methods) == 0:
		a.problem("%s: sets no authentication method; set one of apiKey, jwt, x509, oauth2Introspection and anonymous", field)
		return nil
	case len(methods) > 1:
		a.problem("%s: sets %s; set only one authentication method", field, quotedList(sortedKeys(setOf(methods))))
		return nil
	case rule.KubernetesTokenReview != nil || rule.Plain != nil:
		a.problem("%s.%s: is not supported by Turnpike; use apiKey, jwt, x509, oauth2Introspection or anonymous", field, methods[0])
		return nil
	}
	if rule.Overrides != nil || rule.Defaults != nil {
		a.problem("%s: overrides and defaults of identity properties are not supported by Turnpike; add properties with response.success.filters.identity instead", field)
	}
	out := &snapshot.Authenticator{
		AuthRule:           a.ruleBase(field, name, &rule.CommonRuleSpec),
		Credentials:        a.credentials(field+".credentials", rule.Credentials),
		ForwardCredentials: rule.ForwardCredentials,
	}
	switch {
	case rule.APIKey != nil:
		out.APIKey = a.apiKeyAuth(field+".apiKey", rule.APIKey)
	case rule.JWT != nil:
		out.JWT = a.jwt(field+".jwt", rule.JWT)
	case rule.X509 != nil:
		out.X509 = a.x509Auth(field+".x509", rule.X509)
	case rule.OAuth2Introspection != nil:
		out.Introspection = a.introspection(field+".oauth2Introspection", rule.OAuth2Introspection, rule.Cache)
	default:
		out.Anonymous = true
	}
	if len(a.problems) > problems {
		return nil
	}
	return out
}

func setOf(names []string) map[string]bool {
	set := make(map[string]bool, len(names))
	for _, name := range names {
		set[name] = true
	}
	return set
}

// credentials locates the credential; Authorino's default is the Authorization
// header with the Bearer scheme.
func (a *authCompiler) credentials(field string, in *tpv1a1.Credentials) snapshot.Credentials {
	bearer := snapshot.Credentials{Source: snapshot.CredentialAuthorizationHeader, Name: "Authorization", Prefix: defaultCredentialPrefix}
	if in == nil {
		return bearer
	}
	var out []snapshot.Credentials
	if in.AuthorizationHeader != nil {
		header := bearer
		if in.AuthorizationHeader.Prefix != "" {
			header.Prefix = in.AuthorizationHeader.Prefix
		}
		if strings.ContainsAny(header.Prefix, " \t") {
			a.problem("%s.authorizationHeader.prefix: %q must be one word, the authorization scheme", field, header.Prefix)
		}
		out = append(out, header)
	}
	named := []struct {
		source snapshot.CredentialSource
		field  string
		in     *tpv1a1.NamedCredentials
	}{
		{snapshot.CredentialCustomHeader, "customHeader", in.CustomHeader},
		{snapshot.CredentialQueryString, "queryString", in.QueryString},
		{snapshot.CredentialCookie, "cookie", in.Cookie},
	}
	for _, n := range named {
		if n.in == nil {
			continue
		}
		if n.in.Name == "" {
			a.problem("%s.%s.name: is required", field, n.field)
		}
		if n.source == snapshot.CredentialCustomHeader && !isHeaderName(n.in.Name) {
			a.problem("%s.%s.name: %q is not a valid header name", field, n.field, n.in.Name)
		}
		out = append(out, snapshot.Credentials{Source: n.source, Name: n.in.Name})
	}
	switch len(out) {
	case 0:
		return bearer
	case 1:
		return out[0]
	default:
		a.problem("%s: set only one of authorizationHeader, customHeader, queryString and cookie", field)
		return out[0]
	}
}

// jwt checks the issuer settings; keys are fetched by the data plane.
func (a *authCompiler) jwt(field string, in *tpv1a1.JWTAuthentication) *snapshot.JWTAuth {
	out := &snapshot.JWTAuth{
		IssuerURL:       in.IssuerURL,
		JWKSURL:         in.JWKSURL,
		Audiences:       in.Audiences,
		ClockSkew:       defaultClockSkew,
		RefreshInterval: defaultJWKSRefresh,
	}
	if in.IssuerURL == "" && in.JWKSURL == "" {
		a.problem("%s: set issuerUrl (OpenID Connect discovery) or jwksUrl", field)
	}
	if in.IssuerURL != "" {
		a.checkURL(field+".issuerUrl", in.IssuerURL)
	}
	if in.JWKSURL != "" {
		a.checkURL(field+".jwksUrl", in.JWKSURL)
	}
	if in.TTL > 0 {
		out.RefreshInterval = time.Duration(in.TTL) * time.Second
	}
	if in.ClockSkew != nil {
		skew, err := time.ParseDuration(string(*in.ClockSkew))
		if err != nil || skew < 0 {
			a.problem("%s.clockSkew: %q is not a duration such as 30s or 1m", field, *in.ClockSkew)
		}
		out.ClockSkew = skew
	}
	for i, audience := range in.Audiences {
		if audience == "" {
			a.problem("%s.audiences[%d]: must not be empty", field, i)
		}
	}
	return out
}

// introspection checks the endpoint and reads the client credentials.
func (a *authCompiler) introspection(field string, in *tpv1a1.OAuth2IntrospectionAuthentication, cache *tpv1a1.RuleCache) *snapshot.IntrospectionAuth {
	out := &snapshot.IntrospectionAuth{Endpoint: in.Endpoint, TokenTypeHint: in.TokenTypeHint}
	a.checkURL(field+".endpoint", in.Endpoint)
	a.introspectionCredentials(field+".credentialsRef", in.CredentialsRef, out)
	if cache != nil {
		ttl := cache.TTL
		if ttl == 0 {
			ttl = defaultCacheTTL
		}
		out.CacheTTL = time.Duration(ttl) * time.Second
	}
	return out
}

// checkURL requires an absolute http or https URL.
func (a *authCompiler) checkURL(field, raw string) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		a.problem("%s: %q is not an absolute http or https URL", field, raw)
	}
}

// authorization compiles one authorization rule; nil when it has a problem.
func (a *authCompiler) authorization(field, name string, rule *tpv1a1.AuthorizationRule) *snapshot.Authorizer {
	var methods []string
	for method, set := range map[string]bool{
		"patternMatching": rule.PatternMatching != nil, "opa": rule.Opa != nil,
		"kubernetesSubjectAccessReview": rule.KubernetesSubjectAccessReview != nil, "spicedb": rule.SpiceDB != nil,
	} {
		if set {
			methods = append(methods, method)
		}
	}
	switch {
	case len(methods) == 0:
		a.problem("%s: sets no authorization method; set patternMatching", field)
		return nil
	case len(methods) > 1:
		a.problem("%s: sets %s; set only one authorization method", field, quotedList(sortedKeys(setOf(methods))))
		return nil
	case rule.PatternMatching == nil:
		a.problem("%s.%s: is not supported by Turnpike; use patternMatching (patterns, or CEL predicates)", field, methods[0])
		return nil
	case len(rule.PatternMatching.Patterns) == 0:
		a.problem("%s.patternMatching.patterns: must list at least one pattern", field)
		return nil
	}
	problems := len(a.problems)
	out := &snapshot.Authorizer{AuthRule: a.ruleBase(field, name, &rule.CommonRuleSpec)}
	path := field + ".patternMatching.patterns"
	compiled, conditionProblems := a.conditions.compileList(path, rule.PatternMatching.Patterns)
	a.problems = append(a.problems, conditionProblems...)
	for i, c := range compiled {
		if expr := a.compile(fmt.Sprintf("%s (condition %d)", path, i), c.source); expr != nil {
			out.Conditions = append(out.Conditions, &snapshot.AuthCondition{Expression: expr, Scope: c.scope})
		}
	}
	if len(a.problems) > problems {
		return nil
	}
	return out
}

// isHeaderName reports whether name is an HTTP field name (an RFC 9110 token).
func isHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		ch := name[i]
		switch {
		case ch >= 'a' && ch <= 'z', ch >= 'A' && ch <= 'Z', ch >= '0' && ch <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", ch) >= 0:
		default:
			return false
		}
	}
	return true
}
