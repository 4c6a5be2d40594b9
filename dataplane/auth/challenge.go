package auth

import (
	"strings"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// challenge renders the WWW-Authenticate value that tells a client how to
// authenticate with one rule (see the package documentation); "" for
// anonymous access, which never asks for anything.
func challenge(spec *snapshot.Authenticator, realm string, loc *locator) string {
	var scheme, param, name string
	switch {
	case spec.Anonymous:
		return ""
	case spec.X509 != nil:
		scheme = "ClientCertificate"
	default:
		scheme = "Bearer"
		if spec.APIKey != nil {
			scheme = "APIKey"
		}
		switch loc.source {
		case snapshot.CredentialAuthorizationHeader:
			if loc.prefix != "" {
				scheme = loc.prefix
			}
			if loc.name != headerAuthorization {
				param, name = "header", loc.name
			}
		case snapshot.CredentialCustomHeader:
			param, name = "header", loc.name
		case snapshot.CredentialQueryString:
			param, name = "query", loc.name
		case snapshot.CredentialCookie:
			param, name = "cookie", loc.name
		}
	}
	var b strings.Builder
	b.WriteString(scheme)
	b.WriteString(" realm=")
	b.WriteString(quote(realm))
	if param != "" {
		b.WriteString(", ")
		b.WriteString(param)
		b.WriteByte('=')
		b.WriteString(quote(name))
	}
	return b.String()
}

// quote renders an auth-param quoted-string (RFC 9110 section 5.6.4).
func quote(s string) string {
	if !strings.ContainsAny(s, `"\`) {
		return `"` + s + `"`
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

// withError adds RFC 6750 error attributes to a challenge.
func withError(challenge, code, description string) string {
	out := challenge + ", error=" + quote(code)
	if description != "" {
		out += ", error_description=" + quote(description)
	}
	return out
}
