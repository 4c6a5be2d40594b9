package auth

import (
	"fmt"
	"net/textproto"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// headerAuthorization is where CredentialAuthorizationHeader reads by default.
const headerAuthorization = "Authorization"

// locator finds one authenticator's credential in a request.
type locator struct {
	source snapshot.CredentialSource
	// name is the canonical header name for the header sources, the query
	// parameter or cookie name otherwise.
	name string
	// prefix is the authorization scheme of CredentialAuthorizationHeader.
	prefix string
}

func newLocator(c snapshot.Credentials) (locator, error) {
	l := locator{source: c.Source, name: c.Name, prefix: c.Prefix}
	switch c.Source {
	case snapshot.CredentialAuthorizationHeader, "":
		l.source = snapshot.CredentialAuthorizationHeader
		if l.name == "" {
			l.name = headerAuthorization
		}
		l.name = textproto.CanonicalMIMEHeaderKey(l.name)
	case snapshot.CredentialCustomHeader:
		if l.name == "" {
			return l, fmt.Errorf("credentials in a custom header need the header's name")
		}
		l.name = textproto.CanonicalMIMEHeaderKey(l.name)
	case snapshot.CredentialQueryString, snapshot.CredentialCookie:
		if l.name == "" {
			return l, fmt.Errorf("credentials in %s need a name", c.Source)
		}
	default:
		return l, fmt.Errorf("credential source %q is not supported", c.Source)
	}
	return l, nil
}

// find returns the credential, or false when the request carries none for
// this locator: an empty value, or an Authorization header of another scheme.
func (l *locator) find(req Request) ([]byte, bool) {
	var raw []byte
	var ok bool
	switch l.source {
	case snapshot.CredentialAuthorizationHeader:
		if raw, ok = req.Header(l.name); !ok {
			return nil, false
		}
		raw, ok = cutScheme(raw, l.prefix)
	case snapshot.CredentialCustomHeader:
		raw, ok = req.Header(l.name)
	case snapshot.CredentialQueryString:
		raw, ok = req.QueryArg(l.name)
	case snapshot.CredentialCookie:
		raw, ok = req.Cookie(l.name)
	}
	if !ok {
		return nil, false
	}
	raw = trimSpace(raw)
	return raw, len(raw) > 0
}

// strip removes the credential from the request forwarded upstream. An
// Authorization header of another scheme is left alone: it may be meant for
// the backend.
func (l *locator) strip(req Request, up Upstream) {
	switch l.source {
	case snapshot.CredentialAuthorizationHeader:
		if raw, ok := req.Header(l.name); ok {
			if _, ours := cutScheme(raw, l.prefix); ours {
				up.DelHeader(l.name)
			}
		}
	case snapshot.CredentialCustomHeader:
		if _, ok := req.Header(l.name); ok {
			up.DelHeader(l.name)
		}
	case snapshot.CredentialQueryString:
		if _, ok := req.QueryArg(l.name); ok {
			up.DelQueryArg(l.name)
		}
	case snapshot.CredentialCookie:
		if _, ok := req.Cookie(l.name); ok {
			up.DelCookie(l.name)
		}
	}
}

// cutScheme returns what follows "<scheme> " in an Authorization value, the
// scheme compared case-insensitively (RFC 9110 section 11.1). An empty scheme
// takes the whole value.
func cutScheme(value []byte, scheme string) ([]byte, bool) {
	if scheme == "" {
		return value, true
	}
	if len(value) <= len(scheme) || !equalFoldASCII(value[:len(scheme)], scheme) {
		return nil, false
	}
	if c := value[len(scheme)]; c != ' ' && c != '\t' {
		return nil, false
	}
	return value[len(scheme)+1:], true
}

func equalFoldASCII(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}
