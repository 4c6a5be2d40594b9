package auth

import (
	"crypto/x509"

	"github.com/turnpike-gateway/turnpike/dataplane/expr"
)

// Request is what the auth step reads; the HTTP/1.1 server implements it over
// fasthttp. Slices are valid until Decide returns, and Decide keeps none.
type Request interface {
	expr.Request
	// Cookie returns the value of the named cookie and whether it is present.
	Cookie(name string) ([]byte, bool)
	// PeerCertificates are the client's certificates, leaf first: nil on
	// cleartext or when the client sent none.
	PeerCertificates() []*x509.Certificate
}

// Upstream edits the request that will be forwarded: Decide removes
// credentials a backend must not see and sets the policies' success headers.
type Upstream interface {
	SetHeader(name, value string)
	DelHeader(name string)
	DelQueryArg(name string)
	DelCookie(name string)
}
