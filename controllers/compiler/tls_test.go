package compiler

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// newTLSSecret returns a kubernetes.io/tls Secret holding a fresh self-signed
// certificate for dnsName.
func newTLSSecret(t *testing.T, namespace, name, dnsName string) *corev1.Secret {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	template := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: dnsName},
		DNSNames:     []string{dnsName},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Type:       corev1.SecretTypeTLS,
		Data: map[string][]byte{
			corev1.TLSCertKey:       pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
			corev1.TLSPrivateKeyKey: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		},
	}
}

// httpsInput is one Gateway whose HTTPS listeners (named after their hostnames)
// all use the Secret default/cert.
func httpsInput(secret *corev1.Secret, hostnames ...gwapiv1.Hostname) Input {
	gw := &gwapiv1.Gateway{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web", Generation: 1},
		Spec:       gwapiv1.GatewaySpec{GatewayClassName: "turnpike"},
	}
	for _, hostname := range hostnames {
		gw.Spec.Listeners = append(gw.Spec.Listeners, gwapiv1.Listener{
			Name: gwapiv1.SectionName(hostname), Hostname: ptrTo(hostname), Port: 443, Protocol: gwapiv1.HTTPSProtocolType,
			TLS: &gwapiv1.ListenerTLSConfig{CertificateRefs: []gwapiv1.SecretObjectReference{{Name: "cert"}}},
		})
	}
	return Input{
		GatewayClasses: []*gwapiv1.GatewayClass{{
			ObjectMeta: metav1.ObjectMeta{Name: "turnpike", Generation: 1},
			Spec:       gwapiv1.GatewayClassSpec{ControllerName: ControllerName},
		}},
		Gateways: []*gwapiv1.Gateway{gw},
		Secrets:  []*corev1.Secret{secret},
	}
}

// servedCertificates maps each served GatewayListener's name to its certificates.
func servedCertificates(t *testing.T, snap *snapshot.Snapshot) map[string][]*tls.Certificate {
	t.Helper()
	out := map[string][]*tls.Certificate{}
	for _, socket := range snap.Listeners {
		if socket.Protocol != snapshot.ProtocolHTTPS {
			t.Errorf("socket %s speaks %s, want HTTPS", socket.Key(), socket.Protocol)
		}
		for _, gl := range socket.GatewayListeners {
			out[gl.Name] = gl.Certificates
		}
	}
	return out
}

// TestCertificateRotation: a Secret whose content changes gives the next
// snapshot the new certificate, while the snapshot already built keeps the old one.
// Nothing is cached between two Compile calls.
func TestCertificateRotation(t *testing.T) {
	t.Parallel()
	before := newTLSSecret(t, "default", "cert", "www.example.com")
	after := newTLSSecret(t, "default", "cert", "www.example.com")

	first, _ := Compile(httpsInput(before, "www.example.com"))
	second, _ := Compile(httpsInput(after, "www.example.com"))
	unchanged, _ := Compile(httpsInput(before, "www.example.com"))

	firstCerts := servedCertificates(t, first)["www.example.com"]
	secondCerts := servedCertificates(t, second)["www.example.com"]
	if len(firstCerts) != 1 || len(secondCerts) != 1 {
		t.Fatalf("certificates: %d then %d, want one each", len(firstCerts), len(secondCerts))
	}
	if firstCerts[0].Leaf == nil || secondCerts[0].Leaf == nil {
		t.Fatal("certificates have no parsed Leaf; the data plane needs it for SNI")
	}
	if firstCerts[0].Leaf.SerialNumber.Cmp(secondCerts[0].Leaf.SerialNumber) == 0 {
		t.Fatal("the rotated Secret did not change the served certificate")
	}
	if got := servedCertificates(t, unchanged)["www.example.com"][0].Leaf.SerialNumber; got.Cmp(firstCerts[0].Leaf.SerialNumber) != 0 {
		t.Fatal("compiling the old Secret again did not give the old certificate back")
	}
	if servedCertificates(t, first)["www.example.com"][0] != firstCerts[0] {
		t.Fatal("a later Compile changed an earlier snapshot")
	}
}

// TestSharedSecretParsedOnce: listeners that name one Secret share its parsed
// certificate within a snapshot.
func TestSharedSecretParsedOnce(t *testing.T) {
	t.Parallel()
	secret := newTLSSecret(t, "default", "cert", "*.example.com")
	snap, _ := Compile(httpsInput(secret, "a.example.com", "b.example.com"))
	certs := servedCertificates(t, snap)
	a, b := certs["a.example.com"], certs["b.example.com"]
	if len(a) != 1 || len(b) != 1 {
		t.Fatalf("certificates: %d and %d, want one each", len(a), len(b))
	}
	if a[0] != b[0] {
		t.Fatal("the Secret was parsed once per listener; want one parse per Compile")
	}
}

// TestCertificateProblems covers the status of Secrets the golden cases do not
// hold: certificates made at test time would not give stable golden files.
func TestCertificateProblems(t *testing.T) {
	t.Parallel()
	valid := newTLSSecret(t, "default", "cert", "www.example.com")
	keyOnly := valid.DeepCopy()
	delete(keyOnly.Data, corev1.TLSCertKey)
	tests := []struct {
		name       string
		secret     *corev1.Secret
		wantReason gwapiv1.ListenerConditionReason
		wantServed bool
	}{
		{"valid", valid, gwapiv1.ListenerReasonResolvedRefs, true},
		{"no certificate", keyOnly, gwapiv1.ListenerReasonInvalidCertificateRef, false},
		{"wrong namespace", newTLSSecret(t, "elsewhere", "cert", "www.example.com"), gwapiv1.ListenerReasonInvalidCertificateRef, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			snap, report := Compile(httpsInput(tt.secret, "www.example.com"))
			checkInvariants(t, snap, report)
			listener := report.Gateways[types.NamespacedName{Namespace: "default", Name: "web"}].Listeners[0]
			resolved := findCondition(listener.Conditions, string(gwapiv1.ListenerConditionResolvedRefs))
			if resolved == nil || resolved.Reason != string(tt.wantReason) {
				t.Fatalf("ResolvedRefs = %+v, want reason %s", resolved, tt.wantReason)
			}
			if served := len(servedCertificates(t, snap)) > 0; served != tt.wantServed {
				t.Fatalf("served = %v, want %v", served, tt.wantServed)
			}
		})
	}
}
