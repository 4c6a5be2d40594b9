package main

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
)

// TestPKI: the serving certificate verifies for every API server address, the
// admin certificate is a system:masters client, and the kubeconfigs load.
func TestPKI(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p, err := newPKI(dir, []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("10.243.0.1")})
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	caPEM, err := os.ReadFile(p.path("ca.crt"))
	if err != nil || !roots.AppendCertsFromPEM(caPEM) {
		t.Fatalf("reading the CA: %v", err)
	}
	serving, err := tls.LoadX509KeyPair(p.path("apiserver.crt"), p.path("apiserver.key"))
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(serving.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"127.0.0.1", "10.243.0.1", "kubernetes.default.svc"} {
		if _, err := leaf.Verify(x509.VerifyOptions{DNSName: name, Roots: roots}); err != nil {
			t.Errorf("the serving certificate does not verify for %s: %v", name, err)
		}
	}
	admin, err := tls.LoadX509KeyPair(p.path("admin.crt"), p.path("admin.key"))
	if err != nil {
		t.Fatal(err)
	}
	adminLeaf, _ := x509.ParseCertificate(admin.Certificate[0])
	if _, err := adminLeaf.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil ||
		len(adminLeaf.Subject.Organization) != 1 || adminLeaf.Subject.Organization[0] != "system:masters" {
		t.Errorf("the admin certificate is not a system:masters client certificate: %v %v", err, adminLeaf.Subject)
	}
	if _, err := os.Stat(p.path("sa.key")); err != nil {
		t.Errorf("no service-account key: %v", err)
	}
	for _, token := range []string{"", "a-token"} {
		path := filepath.Join(dir, "kubeconfig-"+token)
		if err := p.writeKubeconfig(path, "https://127.0.0.1:6443", token); err != nil {
			t.Fatal(err)
		}
		config, err := clientcmd.BuildConfigFromFlags("", path)
		if err != nil {
			t.Fatal(err)
		}
		if config.Host != "https://127.0.0.1:6443" || config.BearerToken != token || (token == "") != (config.CertFile != "") {
			t.Errorf("kubeconfig with token %q loads as host %s token %q cert %q", token, config.Host, config.BearerToken, config.CertFile)
		}
	}
}
