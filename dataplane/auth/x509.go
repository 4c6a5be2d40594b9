package auth

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"time"
)

// x509Verifier accepts client certificates that chain to its roots.
type x509Verifier struct {
	roots *x509.CertPool
}

func newX509Verifier(roots *x509.CertPool) *x509Verifier {
	// A nil pool would make Verify use the system roots: trust nothing
	// instead.
	if roots == nil {
		roots = x509.NewCertPool()
	}
	return &x509Verifier{roots: roots}
}

func (v *x509Verifier) verify(req Request, _ []byte, now time.Time) result {
	certs := req.PeerCertificates()
	if len(certs) == 0 || certs[0] == nil {
		return result{verdict: missing}
	}
	leaf := certs[0]
	opts := x509.VerifyOptions{
		Roots:       v.roots,
		CurrentTime: now,
		KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if len(certs) > 1 {
		opts.Intermediates = x509.NewCertPool()
		for _, c := range certs[1:] {
			if c != nil {
				opts.Intermediates.AddCert(c)
			}
		}
	}
	if _, err := leaf.Verify(opts); err != nil {
		var invalid x509.CertificateInvalidError
		if errors.As(err, &invalid) && invalid.Reason == x509.Expired && invalid.Cert != nil && now.After(invalid.Cert.NotAfter) {
			return expiredAt(invalid.Cert.NotAfter, "client certificate")
		}
		if errors.As(err, &invalid) && invalid.Reason == x509.Expired {
			return refused("The client certificate is not valid yet.", err.Error())
		}
		return refused("The client certificate is not issued by an authority this route trusts.", err.Error())
	}
	return ok(certificateIdentity(leaf.Subject))
}

// certificateIdentity exposes the subject's fields under the names of
// crypto/x509/pkix (as Authorino does), and "sub", the subject's distinguished
// name (RFC 2253).
func certificateIdentity(name pkix.Name) map[string]any {
	return map[string]any{
		"sub":                name.String(),
		"CommonName":         name.CommonName,
		"SerialNumber":       name.SerialNumber,
		"Country":            stringList(name.Country),
		"Organization":       stringList(name.Organization),
		"OrganizationalUnit": stringList(name.OrganizationalUnit),
		"Locality":           stringList(name.Locality),
		"Province":           stringList(name.Province),
		"StreetAddress":      stringList(name.StreetAddress),
		"PostalCode":         stringList(name.PostalCode),
	}
}

func stringList(values []string) []any {
	out := make([]any, len(values))
	for i, v := range values {
		out[i] = v
	}
	return out
}
