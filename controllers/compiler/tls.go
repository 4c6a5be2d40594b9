package compiler

import (
	"crypto/tls"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// certificateStore finds the Secrets that HTTPS listeners reference and parses
// them, each at most once per Compile: many listeners often share one wildcard
// certificate. It lives for one Compile only, so a Secret whose content changes
// is parsed again by the next Compile and nothing is cached across calls.
type certificateStore struct {
	secrets map[types.NamespacedName]*corev1.Secret
	parsed  map[types.NamespacedName]parsedKeyPair
}

// parsedKeyPair is a Secret's certificate, or why there is none.
type parsedKeyPair struct {
	cert    *tls.Certificate
	problem string
}

func newCertificateStore(secrets []*corev1.Secret) *certificateStore {
	s := &certificateStore{
		secrets: make(map[types.NamespacedName]*corev1.Secret, len(secrets)),
		parsed:  map[types.NamespacedName]parsedKeyPair{},
	}
	for _, secret := range secrets {
		if secret != nil {
			s.secrets[types.NamespacedName{Namespace: secret.Namespace, Name: secret.Name}] = secret
		}
	}
	return s
}

// keyPair returns the certificate chain and private key of a kubernetes.io/tls
// Secret, or a sentence saying why the Secret cannot be used.
func (s *certificateStore) keyPair(key types.NamespacedName) (*tls.Certificate, string) {
	if p, ok := s.parsed[key]; ok {
		return p.cert, p.problem
	}
	p := parseKeyPair(key, s.secrets[key])
	s.parsed[key] = p
	return p.cert, p.problem
}

func parseKeyPair(key types.NamespacedName, secret *corev1.Secret) parsedKeyPair {
	switch {
	case secret == nil:
		return parsedKeyPair{problem: fmt.Sprintf("Secret %s does not exist.", key)}
	case secret.Type != corev1.SecretTypeTLS:
		secretType := string(secret.Type)
		if secretType == "" {
			secretType = string(corev1.SecretTypeOpaque)
		}
		return parsedKeyPair{problem: fmt.Sprintf("Secret %s is of type %s; a certificateRef needs a Secret of type %s.",
			key, secretType, corev1.SecretTypeTLS)}
	case len(secret.Data[corev1.TLSCertKey]) == 0:
		return parsedKeyPair{problem: fmt.Sprintf("Secret %s has no %s.", key, corev1.TLSCertKey)}
	case len(secret.Data[corev1.TLSPrivateKeyKey]) == 0:
		return parsedKeyPair{problem: fmt.Sprintf("Secret %s has no %s.", key, corev1.TLSPrivateKeyKey)}
	}
	// X509KeyPair also checks that the key belongs to the first certificate, and
	// fills Leaf, which the data plane reads at every handshake.
	cert, err := tls.X509KeyPair(secret.Data[corev1.TLSCertKey], secret.Data[corev1.TLSPrivateKeyKey])
	if err != nil {
		return parsedKeyPair{problem: fmt.Sprintf("Secret %s does not hold a usable PEM certificate and matching private key in %s and %s: %v.",
			key, corev1.TLSCertKey, corev1.TLSPrivateKeyKey, err)}
	}
	return parsedKeyPair{cert: &cert}
}

// validateTLS checks the tls block of an HTTPS listener, before any Secret is
// read. What it rejects no certificate could fix.
func (l *listenerState) validateTLS() {
	config := l.spec.TLS
	switch {
	case config == nil:
		l.reject(gwapiv1.ListenerReasonUnsupportedValue,
			"An HTTPS listener needs tls.certificateRefs naming a Secret of type kubernetes.io/tls.")
	case config.Mode != nil && *config.Mode != gwapiv1.TLSModeTerminate:
		l.reject(gwapiv1.ListenerReasonUnsupportedValue, fmt.Sprintf(
			"tls.mode %s is not valid on an HTTPS listener: HTTPS terminates TLS (mode Terminate). Passthrough needs protocol TLS and TLSRoutes, which Turnpike does not support.",
			*config.Mode))
	case len(config.Options) > 0:
		var names []string
		for _, name := range sortedKeys(config.Options) {
			names = append(names, string(name))
		}
		l.reject(gwapiv1.ListenerReasonUnsupportedValue, fmt.Sprintf(
			"tls.options %s are not supported: Turnpike has no TLS options yet; remove them.", quotedList(names)))
	case len(config.CertificateRefs) == 0:
		l.reject(gwapiv1.ListenerReasonUnsupportedValue,
			"tls.certificateRefs is empty: Turnpike takes certificates only from Secrets of type kubernetes.io/tls.")
	case l.frontendValidation() != nil:
		// Serving the listener without the check the Gateway asks for would let
		// in every client; not serving it is the safe failure.
		l.reject(gwapiv1.ListenerReasonUnsupportedValue, fmt.Sprintf(
			"The Gateway's spec.tls.frontend asks to validate client certificates on port %d, which Turnpike does not do yet, so the listener is not served. To require client certificates, remove that validation and use an AuthPolicy with x509.",
			l.spec.Port))
	}
}

// frontendValidation is the client-certificate validation the Gateway's
// spec.tls.frontend asks for on the listener's port (a perPort entry, else the
// default), or nil.
func (l *listenerState) frontendValidation() *gwapiv1.FrontendTLSValidation {
	gatewayTLS := l.gateway.obj.Spec.TLS
	if gatewayTLS == nil || gatewayTLS.Frontend == nil {
		return nil
	}
	for _, perPort := range gatewayTLS.Frontend.PerPort {
		if perPort.Port == l.spec.Port {
			return perPort.TLS.Validation
		}
	}
	return gatewayTLS.Frontend.Default.Validation
}

// resolveCertificates loads the certificates of an accepted HTTPS listener. A
// reference that cannot be used makes ResolvedRefs False; the listener is served
// as long as at least one certificate is usable.
func (l *listenerState) resolveCertificates(ix *index, store *certificateStore) {
	gatewayNamespace := l.gateway.key.Namespace
	var problems []string
	notPermitted := false
	for i, ref := range l.spec.TLS.CertificateRefs {
		group, kind := gwapiv1.Group(""), gwapiv1.Kind("Secret")
		if ref.Group != nil {
			group = *ref.Group
		}
		if ref.Kind != nil {
			kind = *ref.Kind
		}
		key := types.NamespacedName{Namespace: gatewayNamespace, Name: string(ref.Name)}
		if ref.Namespace != nil && *ref.Namespace != "" {
			key.Namespace = string(*ref.Namespace)
		}
		switch {
		case group != "" || kind != "Secret":
			problems = append(problems, fmt.Sprintf(
				"tls.certificateRefs[%d] names %s, which is not supported: a certificateRef must name a core Secret (group \"\", kind Secret).",
				i, describeGroupKindName(group, kind, ref.Namespace, string(ref.Name))))
		case key.Namespace != gatewayNamespace && !ix.secretReferenceGranted(gatewayNamespace, key):
			notPermitted = true
			problems = append(problems, fmt.Sprintf(
				"Secret %s is in another namespace, and no ReferenceGrant in namespace %s allows Gateways in namespace %s to use it.",
				key, key.Namespace, gatewayNamespace))
		default:
			cert, problem := store.keyPair(key)
			if problem != "" {
				problems = append(problems, problem)
				continue
			}
			if name := key.String(); !slices.Contains(l.certificateSecrets, name) {
				l.certificates = append(l.certificates, cert)
				l.certificateSecrets = append(l.certificateSecrets, name)
			}
		}
	}
	slices.Sort(l.certificateSecrets)
	if len(problems) == 0 {
		return
	}
	// The API reserves InvalidCertificateRef for references that are allowed.
	l.certRefsReason = gwapiv1.ListenerReasonInvalidCertificateRef
	if notPermitted {
		l.certRefsReason = gwapiv1.ListenerReasonRefNotPermitted
	}
	consequence := "The listener has no usable certificate, so it is not served."
	if len(l.certificates) > 0 {
		consequence = "The listener is served with its other certificates."
	}
	l.certRefsMessage = strings.Join(append(problems, consequence), " ")
}

// hasCertificate says whether the listener can be served as far as TLS is
// concerned: cleartext listeners need no certificate.
func (l *listenerState) hasCertificate() bool {
	return l.spec.Protocol != gwapiv1.HTTPSProtocolType || len(l.certificates) > 0
}

// socketProtocol is what the listener's socket speaks.
func (l *listenerState) socketProtocol() snapshot.Protocol {
	if l.spec.Protocol == gwapiv1.HTTPSProtocolType {
		return snapshot.ProtocolHTTPS
	}
	return snapshot.ProtocolHTTP
}
