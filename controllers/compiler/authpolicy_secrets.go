package compiler

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/types"

	tpv1a1 "github.com/turnpike-gateway/turnpike/api/v1alpha1"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// The Secret keys AuthPolicy reads, as Authorino names them.
const (
	secretKeyAPIKey       = "api_key"
	secretKeyCA           = "ca.crt"
	secretKeyClientID     = "clientID"
	secretKeyClientSecret = "clientSecret"
)

// lastAppliedAnnotation is where `kubectl apply` keeps the whole object it
// applied, data included: it is never copied into an identity.
const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// authSecrets indexes the input's Secrets once per compile for the selectors of
// every AuthPolicy: by namespace, by label (so that a selector with an equality
// requirement looks only at the Secrets that have the label, not at every Secret
// of the cluster), and by name. Each list is oldest first (then by name), which is
// the order that decides between Secrets holding the same key.
type authSecrets struct {
	byNamespace map[string][]*corev1.Secret
	all         []*corev1.Secret
	byLabel     map[secretLabel][]*corev1.Secret
	byKey       map[types.NamespacedName]*corev1.Secret
}

// secretLabel is a label of Secrets in a namespace; namespace is empty for the
// Secrets of every namespace.
type secretLabel struct {
	namespace, key, value string
}

func newAuthSecrets(secrets []*corev1.Secret) *authSecrets {
	ix := &authSecrets{
		byNamespace: map[string][]*corev1.Secret{},
		byLabel:     map[secretLabel][]*corev1.Secret{},
		byKey:       make(map[types.NamespacedName]*corev1.Secret, len(secrets)),
	}
	for _, secret := range secrets {
		if secret == nil {
			continue
		}
		ix.all = append(ix.all, secret)
		ix.byKey[types.NamespacedName{Namespace: secret.Namespace, Name: secret.Name}] = secret
	}
	slices.SortFunc(ix.all, func(a, b *corev1.Secret) int {
		return byAgeThenName(a.CreationTimestamp, b.CreationTimestamp,
			types.NamespacedName{Namespace: a.Namespace, Name: a.Name}, types.NamespacedName{Namespace: b.Namespace, Name: b.Name})
	})
	for _, secret := range ix.all {
		ix.byNamespace[secret.Namespace] = append(ix.byNamespace[secret.Namespace], secret)
		for key, value := range secret.Labels {
			for _, namespace := range []string{secret.Namespace, ""} {
				label := secretLabel{namespace: namespace, key: key, value: value}
				ix.byLabel[label] = append(ix.byLabel[label], secret)
			}
		}
	}
	return ix
}

// selected returns the Secrets of namespace (or of every namespace) that selector
// chooses, oldest first.
func (ix *authSecrets) selected(namespace string, allNamespaces bool, selector labels.Selector) []*corev1.Secret {
	scope := namespace
	candidates := ix.byNamespace[namespace]
	if allNamespaces {
		scope, candidates = "", ix.all
	}
	if requirements, selectable := selector.Requirements(); selectable {
		for _, r := range requirements {
			switch r.Operator() {
			case selection.Equals, selection.DoubleEquals, selection.In:
				if values := r.Values(); values.Len() == 1 {
					candidates = ix.byLabel[secretLabel{namespace: scope, key: r.Key(), value: values.UnsortedList()[0]}]
				}
			}
		}
	}
	var out []*corev1.Secret
	for _, secret := range candidates {
		if selector.Matches(labels.Set(secret.Labels)) {
			out = append(out, secret)
		}
	}
	return out
}

func secretName(secret *corev1.Secret) string { return secret.Namespace + "/" + secret.Name }

// labelSelector converts a rule's selector; a missing one is a problem.
func (a *authCompiler) labelSelector(field string, selector *metav1.LabelSelector) labels.Selector {
	if selector == nil {
		a.problem("%s: is required", field)
		return nil
	}
	converted, err := metav1.LabelSelectorAsSelector(selector)
	if err != nil {
		a.problem("%s: %v", field, err)
		return nil
	}
	return converted
}

// apiKeyAuth collects the keys of the selected Secrets. Two Secrets holding the same
// key cannot both be who presents it: the older one is, and the status says so.
func (a *authCompiler) apiKeyAuth(field string, spec *tpv1a1.APIKeyAuthentication) *snapshot.APIKeyAuth {
	if spec.KeySelector != "" {
		a.problem("%s.keySelector: is not supported by Turnpike, which reads each Secret's data.%s", field, secretKeyAPIKey)
	}
	selector := a.labelSelector(field+".selector", spec.Selector)
	if selector == nil {
		return nil
	}
	out := &snapshot.APIKeyAuth{Keys: map[snapshot.APIKeyDigest]*snapshot.APIKeyIdentity{}, Secrets: []string{}}
	for _, secret := range a.secrets.selected(a.policy.key.Namespace, spec.AllNamespaces, selector) {
		key := secret.Data[secretKeyAPIKey]
		if len(key) == 0 {
			continue
		}
		digest := snapshot.DigestAPIKey(key)
		if holder, taken := out.Keys[digest]; taken {
			a.warn("Secrets %s and %s hold the same API key; it identifies %s, the older one", holder.Secret, secretName(secret), holder.Secret)
			continue
		}
		out.Keys[digest] = &snapshot.APIKeyIdentity{Secret: secretName(secret), Identity: secretIdentity(secret)}
		out.Secrets = append(out.Secrets, secretName(secret))
	}
	slices.Sort(out.Secrets)
	if len(out.Keys) == 0 {
		a.warn("%s selects no Secret with data.%s, so it accepts no API key yet", field, secretKeyAPIKey)
	}
	return out
}

// secretIdentity is what auth.identity holds for an API key: the Secret's
// metadata, as Authorino exposes it, never its data.
func secretIdentity(secret *corev1.Secret) map[string]any {
	labelValues := make(map[string]any, len(secret.Labels))
	for k, v := range secret.Labels {
		labelValues[k] = v
	}
	annotationValues := make(map[string]any, len(secret.Annotations))
	for k, v := range secret.Annotations {
		if k != lastAppliedAnnotation {
			annotationValues[k] = v
		}
	}
	return map[string]any{"metadata": map[string]any{
		"name":        secret.Name,
		"namespace":   secret.Namespace,
		"labels":      labelValues,
		"annotations": annotationValues,
	}}
}

// x509Auth collects the CA certificates of the selected Secrets (ca.crt, else tls.crt).
// A rule that ends up with none can never succeed: that is a problem, not a warning.
func (a *authCompiler) x509Auth(field string, spec *tpv1a1.X509Authentication) *snapshot.X509Auth {
	selector := a.labelSelector(field+".selector", spec.Selector)
	if selector == nil {
		return nil
	}
	out := &snapshot.X509Auth{Roots: x509.NewCertPool(), CASecrets: []string{}}
	for _, secret := range a.secrets.selected(a.policy.key.Namespace, spec.AllNamespaces, selector) {
		data, key := secret.Data[secretKeyCA], secretKeyCA
		if len(data) == 0 {
			data, key = secret.Data[corev1.TLSCertKey], corev1.TLSCertKey
		}
		if len(data) == 0 {
			a.warn("Secret %s, selected by %s, has neither %s nor %s", secretName(secret), field, secretKeyCA, corev1.TLSCertKey)
			continue
		}
		certificates, err := parseCertificates(data)
		if err != nil {
			a.warn("Secret %s, selected by %s, is not used: its %s %v", secretName(secret), field, key, err)
			continue
		}
		for _, certificate := range certificates {
			out.Roots.AddCert(certificate)
		}
		out.CASecrets = append(out.CASecrets, secretName(secret))
	}
	if len(out.CASecrets) == 0 {
		a.problem("%s.selector: selects no Secret in %s with a PEM CA certificate in %s or %s", field,
			a.secretScope(spec.AllNamespaces), secretKeyCA, corev1.TLSCertKey)
		return nil
	}
	slices.Sort(out.CASecrets)
	return out
}

// parseCertificates reads every PEM certificate of data.
func parseCertificates(data []byte) ([]*x509.Certificate, error) {
	var certificates []*x509.Certificate
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		certificate, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("holds a certificate that cannot be parsed: %v", err)
		}
		certificates = append(certificates, certificate)
	}
	if len(certificates) == 0 {
		return nil, fmt.Errorf("holds no PEM certificate")
	}
	return certificates, nil
}

func (a *authCompiler) secretScope(allNamespaces bool) string {
	if allNamespaces {
		return "any namespace"
	}
	return "namespace " + a.policy.key.Namespace
}

// introspectionCredentials reads the client credentials the gateway presents to an
// introspection endpoint. A missing Secret makes the policy Invalid (see
// compileAuthPolicies for why not MissingDependency).
func (a *authCompiler) introspectionCredentials(field string, ref *tpv1a1.LocalSecretReference, out *snapshot.IntrospectionAuth) {
	if ref == nil || ref.Name == "" {
		a.problem("%s: is required: name a Secret with %s and %s", field, secretKeyClientID, secretKeyClientSecret)
		return
	}
	key := types.NamespacedName{Namespace: a.policy.key.Namespace, Name: ref.Name}
	out.CredentialsSecret = key.String()
	secret := a.secrets.byKey[key]
	if secret == nil {
		a.problem("%s: Secret %s does not exist", field, key)
		return
	}
	out.ClientID, out.ClientSecret = string(secret.Data[secretKeyClientID]), string(secret.Data[secretKeyClientSecret])
	if out.ClientID == "" || out.ClientSecret == "" {
		a.problem("%s: Secret %s must hold both %s and %s", field, key, secretKeyClientID, secretKeyClientSecret)
	}
}
