package expr

import (
	"net/netip"

	"github.com/turnpike-gateway/turnpike/dataplane/router"
)

// Request is the transport-neutral view of a request that expressions read. The
// HTTP/1.1 server implements it over fasthttp; the HTTP/2 server will implement
// it over net/http. Slices are valid until the evaluation returns.
type Request interface {
	router.Request
	// Scheme is "http" or "https".
	Scheme() []byte
	// RawQuery is the query string as the client sent it, without '?'.
	RawQuery() []byte
	// VisitHeaders calls visit for every request header in the order received,
	// names as sent. It is only used when an expression reads request.headers as
	// a whole (size, iteration), never for request.headers['name'].
	VisitHeaders(visit func(name, value []byte))
	// ClientAddr is the address of the peer that sent the request (the direct
	// peer, not X-Forwarded-For). The zero value means unknown.
	ClientAddr() netip.AddrPort
}

// hostWithoutPort strips a trailing ":port" from a Host value, keeping the
// brackets of an IPv6 literal ("[::1]:8080" -> "[::1]").
func hostWithoutPort(host []byte) []byte {
	for i := len(host) - 1; i >= 0; i-- {
		switch c := host[i]; {
		case c == ':':
			return host[:i]
		case c == ']':
			return host
		case c < '0' || c > '9':
			return host
		}
	}
	return host
}

// appendLower appends b in ASCII lower case.
func appendLower(dst, b []byte) []byte {
	for _, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// hasUpper reports whether s has an ASCII upper-case letter.
func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// appendClientAddress appends the client's IP in its usual text form, nothing
// when it is unknown.
func appendClientAddress(dst []byte, addr netip.AddrPort) []byte {
	if !addr.Addr().IsValid() {
		return dst
	}
	return addr.Addr().Unmap().AppendTo(dst)
}
