package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The rules of an AuthPolicy. Field names are Authorino's (authorino.kuadrant.io/
// v1beta3), as Kuadrant's AuthPolicy embeds them; Turnpike's additions are marked.

// AuthenticationRule is one way a request may prove who it is. Exactly one method
// (apiKey, jwt, x509, oauth2Introspection, anonymous) must be set.
type AuthenticationRule struct {
	CommonRuleSpec `json:",inline"`

	// Credentials says where the request carries its credential; by default the
	// Authorization header with the prefix "Bearer". Not used by x509 and
	// anonymous.
	// +optional
	Credentials *Credentials `json:"credentials,omitempty"`

	// ForwardCredentials keeps the credential on the request sent to the backend.
	// By default Turnpike removes it, so that a backend never sees a key or token
	// it was not meant to. (Turnpike addition.)
	// +optional
	ForwardCredentials bool `json:"forwardCredentials,omitempty"`

	// APIKey accepts the keys stored in the data.api_key of the Secrets its
	// selector chooses.
	// +optional
	APIKey *APIKeyAuthentication `json:"apiKey,omitempty"`

	// JWT accepts JSON Web Tokens signed by a key of the issuer's key set.
	// +optional
	JWT *JWTAuthentication `json:"jwt,omitempty"`

	// X509 accepts client certificates, on HTTPS listeners, that chain to a CA of
	// the Secrets its selector chooses.
	// +optional
	X509 *X509Authentication `json:"x509,omitempty"`

	// OAuth2Introspection asks an OAuth 2.0 token introspection endpoint
	// (RFC 7662) whether a token is active.
	// +optional
	OAuth2Introspection *OAuth2IntrospectionAuthentication `json:"oauth2Introspection,omitempty"`

	// Anonymous lets every request through with an empty identity; with a higher
	// priority number than the others it makes credentials optional.
	// +optional
	Anonymous *AnonymousAuthentication `json:"anonymous,omitempty"`

	// KubernetesTokenReview is not supported by Turnpike.
	// +optional
	KubernetesTokenReview *UnsupportedRule `json:"kubernetesTokenReview,omitempty"`

	// Plain (an identity computed by a proxy in front) is not supported by Turnpike.
	// +optional
	Plain *UnsupportedRule `json:"plain,omitempty"`

	// Overrides and Defaults (Authorino's extra identity properties) are not
	// supported by Turnpike; response.success.filters.identity adds properties to
	// the identity instead.
	// +optional
	Overrides *UnsupportedRule `json:"overrides,omitempty"`
	// +optional
	Defaults *UnsupportedRule `json:"defaults,omitempty"`
}

// Credentials locates a credential in a request; at most one field is set.
type Credentials struct {
	// AuthorizationHeader: "Authorization: <prefix> <credential>".
	// +optional
	AuthorizationHeader *PrefixedCredentials `json:"authorizationHeader,omitempty"`
	// CustomHeader: the whole value of the named header.
	// +optional
	CustomHeader *NamedCredentials `json:"customHeader,omitempty"`
	// QueryString: the named query parameter.
	// +optional
	QueryString *NamedCredentials `json:"queryString,omitempty"`
	// Cookie: the named cookie.
	// +optional
	Cookie *NamedCredentials `json:"cookie,omitempty"`
}

// PrefixedCredentials is the authorization scheme of an Authorization header.
type PrefixedCredentials struct {
	// Prefix is the scheme, compared case-insensitively; "Bearer" when empty.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Prefix string `json:"prefix,omitempty"`
}

// NamedCredentials names a header, query parameter or cookie.
type NamedCredentials struct {
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Name string `json:"name"`
}

// APIKeyAuthentication selects the Secrets holding valid API keys.
type APIKeyAuthentication struct {
	// Selector chooses Secrets by label; each Secret's data.api_key is one valid
	// key, and the Secret's metadata is the identity of whoever presents it.
	Selector *metav1.LabelSelector `json:"selector"`

	// AllNamespaces looks for Secrets in every namespace instead of only the
	// policy's.
	// +optional
	AllNamespaces bool `json:"allNamespaces,omitempty"`

	// KeySelector (Authorino's choice of other keys of the Secret) is not supported
	// by Turnpike, which reads data.api_key only.
	// +optional
	KeySelector string `json:"keySelector,omitempty"`
}

// JWTAuthentication names the issuer whose tokens are accepted.
type JWTAuthentication struct {
	// IssuerURL is the OpenID Connect issuer: its discovery document names the key
	// set, and a token's "iss" must equal it.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	IssuerURL string `json:"issuerUrl,omitempty"`

	// JWKSURL is the key set's URL, used instead of discovery. (Turnpike
	// addition: Authorino's v1beta3 AuthConfig always uses discovery.)
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	JWKSURL string `json:"jwksUrl,omitempty"`

	// TTL is how often, in seconds, the key set is fetched again; 600 when not set.
	// +optional
	// +kubebuilder:validation:Minimum=0
	TTL int `json:"ttl,omitempty"`

	// Audiences, when set, must include one of a token's "aud" values. (Turnpike
	// addition.)
	// +optional
	// +kubebuilder:validation:MaxItems=16
	Audiences []string `json:"audiences,omitempty"`

	// ClockSkew is the leeway for "exp", "nbf" and "iat"; 30s when not set.
	// (Turnpike addition.)
	// +optional
	ClockSkew *Duration `json:"clockSkew,omitempty"`
}

// X509Authentication selects the Secrets holding trusted CA certificates.
type X509Authentication struct {
	// Selector chooses Secrets by label; each one's ca.crt (else tls.crt) holds
	// PEM certificates of trusted CAs.
	Selector *metav1.LabelSelector `json:"selector"`

	// AllNamespaces looks for Secrets in every namespace instead of only the
	// policy's.
	// +optional
	AllNamespaces bool `json:"allNamespaces,omitempty"`
}

// OAuth2IntrospectionAuthentication is an RFC 7662 introspection endpoint.
type OAuth2IntrospectionAuthentication struct {
	// Endpoint is the introspection endpoint's URL.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	Endpoint string `json:"endpoint"`

	// TokenTypeHint is sent as token_type_hint when set.
	// +optional
	TokenTypeHint string `json:"tokenTypeHint,omitempty"`

	// CredentialsRef names a Secret in the policy's namespace whose clientID and
	// clientSecret authenticate Turnpike to the endpoint.
	CredentialsRef *LocalSecretReference `json:"credentialsRef"`
}

// LocalSecretReference names a Secret in the policy's namespace.
type LocalSecretReference struct {
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
}

// AnonymousAuthentication has no settings.
type AnonymousAuthentication struct{}

// AuthorizationRule is one check every request it applies to must pass. Exactly
// one method must be set; Turnpike evaluates patternMatching.
type AuthorizationRule struct {
	CommonRuleSpec `json:",inline"`

	// PatternMatching allows a request when all its patterns hold.
	// +optional
	PatternMatching *PatternMatchingAuthorization `json:"patternMatching,omitempty"`

	// Opa, KubernetesSubjectAccessReview and SpiceDB are not supported by Turnpike.
	// +optional
	Opa *UnsupportedRule `json:"opa,omitempty"`
	// +optional
	KubernetesSubjectAccessReview *UnsupportedRule `json:"kubernetesSubjectAccessReview,omitempty"`
	// +optional
	SpiceDB *UnsupportedRule `json:"spicedb,omitempty"`
}

// PatternMatchingAuthorization lists conditions that must all hold.
type PatternMatchingAuthorization struct {
	// +kubebuilder:validation:MaxItems=32
	Patterns []PatternExpressionOrRef `json:"patterns"`
}

// AuthResponseRules shape the answers.
type AuthResponseRules struct {
	// Unauthenticated changes the 401 answer.
	// +optional
	Unauthenticated *DenialResponse `json:"unauthenticated,omitempty"`

	// Unauthorized changes the 403 answer.
	// +optional
	Unauthorized *DenialResponse `json:"unauthorized,omitempty"`

	// Success passes data to the backend and to later policies.
	// +optional
	Success *SuccessResponses `json:"success,omitempty"`
}

// DenialResponse is Authorino's DenyWithSpec.
type DenialResponse struct {
	// Code replaces the status code.
	// +optional
	// +kubebuilder:validation:Minimum=300
	// +kubebuilder:validation:Maximum=599
	Code int32 `json:"code,omitempty"`

	// Message replaces the problem's detail.
	// +optional
	Message *ValueOrSelector `json:"message,omitempty"`

	// Headers are added to the answer.
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	Headers map[string]ValueOrSelector `json:"headers,omitempty"`

	// Body replaces the whole body.
	// +optional
	Body *ValueOrSelector `json:"body,omitempty"`
}

// SuccessResponses are what an allowed request carries on.
type SuccessResponses struct {
	// Headers are set on the request sent to the backend, by name.
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	Headers map[string]SuccessResponse `json:"headers,omitempty"`

	// Filters pass data to Turnpike's other policies. Only the filter named
	// identity, with json, is supported: its properties are added to
	// auth.identity, where RateLimitPolicy counters and predicates read them.
	// +optional
	// +kubebuilder:validation:MaxProperties=8
	Filters map[string]SuccessResponse `json:"filters,omitempty"`
}

// SuccessResponse is one item of the success response: a plain value or a JSON
// object. Exactly one of plain and json must be set.
type SuccessResponse struct {
	CommonRuleSpec `json:",inline"`

	// Plain is a value.
	// +optional
	Plain *ValueOrSelector `json:"plain,omitempty"`

	// JSON is an object of properties.
	// +optional
	JSON *JSONResponse `json:"json,omitempty"`

	// Wristband (Authorino's Festival Wristband tokens) is not supported by
	// Turnpike.
	// +optional
	Wristband *UnsupportedRule `json:"wristband,omitempty"`

	// Key is the header name, when it is not the item's name.
	// +optional
	Key string `json:"key,omitempty"`
}

// JSONResponse is an object built per request.
type JSONResponse struct {
	// +kubebuilder:validation:MaxProperties=64
	Properties map[string]ValueOrSelector `json:"properties"`
}
