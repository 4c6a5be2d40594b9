package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// testCA issues certificates for the x509 tests.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newCA(t *testing.T, name string, now time.Time) *testCA {
	t.Helper()
	return issue(t, nil, &x509.Certificate{
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	})
}

// issue signs template with ca (self-signed when ca is nil).
func issue(t *testing.T, ca *testCA, template *x509.Certificate) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if template.SerialNumber, err = rand.Int(rand.Reader, big.NewInt(1<<62)); err != nil {
		t.Fatal(err)
	}
	parent, signer := template, key
	if ca != nil {
		parent, signer = ca.cert, ca.key
	}
	der, err := x509.CreateCertificate(rand.Reader, template, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key}
}

func clientCert(t *testing.T, ca *testCA, notBefore, notAfter time.Time, usage x509.ExtKeyUsage) *x509.Certificate {
	t.Helper()
	return issue(t, ca, &x509.Certificate{
		Subject: pkix.Name{
			CommonName: "alice", Organization: []string{"Shop"}, OrganizationalUnit: []string{"Dev", "Ops"},
			Country: []string{"NL"},
		},
		NotBefore:   notBefore,
		NotAfter:    notAfter,
		ExtKeyUsage: []x509.ExtKeyUsage{usage},
	}).cert
}

func TestX509(t *testing.T) {
	t.Parallel()
	clk := newClock()
	now := clk.Now()
	root := newCA(t, "Shop Root", now)
	intermediate := issue(t, root, &x509.Certificate{
		Subject: pkix.Name{CommonName: "Shop Clients"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	})
	stranger := newCA(t, "Someone Else", now)
	roots := x509.NewCertPool()
	roots.AddCert(root.cert)

	r := newRuntime(t, clk)
	plan := r.Plan(&snapshot.Auth{Authentication: []*snapshot.Authenticator{{
		AuthRule: authRule("shop/mtls", "clients"), X509: &snapshot.X509Auth{Roots: roots, CASecrets: []string{"shop/ca"}},
	}}})
	valid := func(ca *testCA) *x509.Certificate {
		return clientCert(t, ca, now.Add(-time.Hour), now.Add(time.Hour), x509.ExtKeyUsageClientAuth)
	}
	expiredAt := now.Add(-time.Minute).Truncate(time.Second)
	untrusted := "The client certificate is not issued by an authority this route trusts."
	tests := []struct {
		name    string
		certs   []*x509.Certificate
		status  int
		problem string
		detail  string
	}{
		{name: "issued by the root", certs: []*x509.Certificate{valid(root)}},
		{name: "through an intermediate", certs: []*x509.Certificate{valid(intermediate), intermediate.cert}},
		{name: "intermediate not sent", certs: []*x509.Certificate{valid(intermediate)}, status: 401, problem: "credential-invalid", detail: untrusted},
		{name: "untrusted", certs: []*x509.Certificate{valid(stranger)}, status: 401, problem: "credential-invalid", detail: untrusted},
		{name: "expired", certs: []*x509.Certificate{clientCert(t, root, now.Add(-time.Hour), expiredAt, x509.ExtKeyUsageClientAuth)},
			status: 401, problem: "credential-expired", detail: "The client certificate expired at " + expiredAt.UTC().Format(time.RFC3339) + "."},
		{name: "not valid yet", certs: []*x509.Certificate{clientCert(t, root, now.Add(time.Minute), now.Add(time.Hour), x509.ExtKeyUsageClientAuth)},
			status: 401, problem: "credential-invalid", detail: "The client certificate is not valid yet."},
		{name: "server certificate", certs: []*x509.Certificate{clientCert(t, root, now.Add(-time.Hour), now.Add(time.Hour), x509.ExtKeyUsageServerAuth)},
			status: 401, problem: "credential-invalid", detail: untrusted},
		{name: "none", status: 401, problem: "credential-missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := newRequest()
			req.certs = tt.certs
			o := decide(t, plan, req)
			if tt.status == 0 {
				o.wantAllowed(t)
				want := map[string]any{
					"sub": "CN=alice,OU=Dev+OU=Ops,O=Shop,C=NL", "CommonName": "alice", "SerialNumber": "",
					"Country": []any{"NL"}, "Organization": []any{"Shop"}, "OrganizationalUnit": []any{"Dev", "Ops"},
					"Locality": []any{}, "Province": []any{}, "StreetAddress": []any{}, "PostalCode": []any{},
				}
				if diff := cmp.Diff(want, o.identity); diff != "" {
					t.Errorf("identity (-want +got):\n%s", diff)
				}
				return
			}
			o.wantRefused(t, tt.status, tt.problem)
			challenge := `ClientCertificate realm="shop/mtls/clients"`
			if tt.detail != "" {
				if got := o.detail(t); got != tt.detail {
					t.Errorf("detail %q, want %q", got, tt.detail)
				}
				challenge += `, error="invalid_certificate", error_description="` + tt.detail + `"`
			}
			if diff := cmp.Diff([]string{challenge}, o.headers("WWW-Authenticate")); diff != "" {
				t.Errorf("WWW-Authenticate (-want +got):\n%s", diff)
			}
		})
	}
}

// TestX509WithoutRoots: a rule whose CA bundle is missing trusts nothing
// (never the system roots).
func TestX509WithoutRoots(t *testing.T) {
	t.Parallel()
	clk := newClock()
	root := newCA(t, "Shop Root", clk.Now())
	r := newRuntime(t, clk)
	plan := r.Plan(&snapshot.Auth{Authentication: []*snapshot.Authenticator{{
		AuthRule: authRule("shop/mtls", "clients"), X509: &snapshot.X509Auth{},
	}}})
	req := newRequest()
	req.certs = []*x509.Certificate{clientCert(t, root, clk.Now().Add(-time.Hour), clk.Now().Add(time.Hour), x509.ExtKeyUsageClientAuth)}
	decide(t, plan, req).wantRefused(t, 401, "credential-invalid")
}
