package snapshot

import (
	"crypto/sha256"
	"crypto/x509"
	"time"
)

// Auth is what AuthPolicy asks of one route, after defaults and overrides have
// been resolved: how a request proves who it is (Authentication), what it must
// then be allowed (Authorization), and how the answers look.
//
// Every rule carries the top-level `when` of its policy (PolicyWhen) and its own
// (When). A rule whose PolicyWhen is false is out of scope for the request: it is
// as if it were not there. When no authenticator is in scope, the request needs
// no credentials (a public path exempted by a Gateway-wide default); when some
// are, one of those whose When holds must succeed, or the request is answered
// 401. Every authorizer in scope whose When holds must then allow, or 403.
//
// Like the rest of the snapshot, an Auth and everything it points to is
// immutable once published: identities and maps are read by many requests at
// once and never written.
type Auth struct {
	// Authentication is tried in this order (priority, then policy, then name);
	// the first that succeeds sets the identity.
	Authentication []*Authenticator `json:"authentication,omitempty"`
	// Authorization must all allow, checked in this order.
	Authorization []*Authorizer `json:"authorization,omitempty"`
	// Unauthenticated and Unauthorized, when set, change the 401 and 403 answers.
	Unauthenticated *DenialResponse `json:"unauthenticated,omitempty"`
	Unauthorized    *DenialResponse `json:"unauthorized,omitempty"`
	// SuccessHeaders are set on the request forwarded upstream once it is
	// authenticated and authorized (identity passed to the backend).
	SuccessHeaders []*SuccessHeader `json:"successHeaders,omitempty"`
	// IdentityExtras are added to auth.identity once authenticated, before
	// authorization and rate limits read it (Kuadrant's
	// response.success.filters.identity.json.properties).
	IdentityExtras []*NamedValue `json:"identityExtras,omitempty"`
	// Invalid, when set, says that the route's AuthPolicy could not be compiled
	// and no valid version of it is known: the data plane refuses every request
	// with 500 route-unavailable, so that a broken policy never opens the route
	// it protects. The other fields are then empty.
	Invalid string `json:"invalid,omitempty"`
}

// AuthRule is what every authentication and authorization rule shares.
type AuthRule struct {
	// Policy is "namespace/name" of the AuthPolicy, Name the rule's key in its
	// map; together they name the rule in metrics, logs and problem details.
	Policy string `json:"policy"`
	Name   string `json:"name"`
	// Priority orders rules; lower runs first.
	Priority int `json:"priority,omitempty"`
	// PolicyWhen is the policy's top-level `when`, When the rule's own; all
	// must be true for the rule to apply.
	PolicyWhen []*Expression `json:"policyWhen,omitempty"`
	When       []*Expression `json:"when,omitempty"`
}

// Authenticator is one named authentication rule. Exactly one of APIKey, JWT,
// X509, Introspection is set, or Anonymous is true.
type Authenticator struct {
	AuthRule
	// Credentials says where the request carries the credential (not used by
	// X509 and Anonymous).
	Credentials Credentials `json:"credentials"`
	// ForwardCredentials keeps the credential on the request sent upstream. By
	// default it is removed, so that a backend never sees a key or token it was
	// not meant to.
	ForwardCredentials bool `json:"forwardCredentials,omitempty"`

	APIKey        *APIKeyAuth        `json:"apiKey,omitempty"`
	JWT           *JWTAuth           `json:"jwt,omitempty"`
	X509          *X509Auth          `json:"x509,omitempty"`
	Introspection *IntrospectionAuth `json:"oauth2Introspection,omitempty"`
	Anonymous     bool               `json:"anonymous,omitempty"`
}

// CredentialSource is where a credential is read from.
type CredentialSource string

const (
	// CredentialAuthorizationHeader: "Authorization: <Prefix> <credential>".
	CredentialAuthorizationHeader CredentialSource = "AuthorizationHeader"
	// CredentialCustomHeader: the whole value of the header Name.
	CredentialCustomHeader CredentialSource = "CustomHeader"
	// CredentialQueryString: the query parameter Name.
	CredentialQueryString CredentialSource = "QueryString"
	// CredentialCookie: the cookie Name.
	CredentialCookie CredentialSource = "Cookie"
)

// Credentials locates a credential in a request.
type Credentials struct {
	Source CredentialSource `json:"source"`
	// Name is the header, query parameter or cookie name; for
	// AuthorizationHeader it is "Authorization".
	Name string `json:"name"`
	// Prefix is the authorization scheme for AuthorizationHeader ("Bearer",
	// "APIKEY"), compared case-insensitively; it is also the scheme that
	// WWW-Authenticate names.
	Prefix string `json:"prefix,omitempty"`
}

// APIKeyDigest is the SHA-256 of an API key. Keys are looked up by digest, so the
// snapshot never holds a key in the clear in a form that could be printed, and a
// lookup's timing says nothing useful about how close a guess was.
type APIKeyDigest [sha256.Size]byte

// DigestAPIKey returns the digest under which a key is stored and looked up.
func DigestAPIKey(key []byte) APIKeyDigest { return sha256.Sum256(key) }

// APIKeyAuth accepts the keys of the Secrets its selector chose.
type APIKeyAuth struct {
	// Keys maps each key's digest to the identity of the Secret holding it.
	Keys map[APIKeyDigest]*APIKeyIdentity `json:"-"`
	// Secrets are "namespace/name" of the selected Secrets, sorted: what the
	// golden files and debugging show instead of the keys.
	Secrets []string `json:"secrets"`
}

// APIKeyIdentity is who an API key belongs to.
type APIKeyIdentity struct {
	// Secret is "namespace/name".
	Secret string `json:"secret"`
	// Identity is what auth.identity reads: {"metadata": {"name", "namespace",
	// "labels", "annotations"}}, the Secret's metadata as Kuadrant exposes it,
	// never its data.
	Identity map[string]any `json:"-"`
}

// JWTAuth accepts JSON Web Tokens signed by keys of an issuer's key set. The key
// set is fetched and refreshed by the data plane in the background, keyed by its
// URL, so that it survives snapshot swaps.
type JWTAuth struct {
	// IssuerURL, when set, is the OIDC issuer: its discovery document
	// (IssuerURL + "/.well-known/openid-configuration") names the key set, and a
	// token's "iss" must equal it.
	IssuerURL string `json:"issuerUrl,omitempty"`
	// JWKSURL, when set, is the key set's URL (used instead of discovery).
	JWKSURL string `json:"jwksUrl,omitempty"`
	// Audiences, when not empty, must include one of the token's "aud" values.
	Audiences []string `json:"audiences,omitempty"`
	// ClockSkew is the leeway for "exp", "nbf" and "iat".
	ClockSkew time.Duration `json:"clockSkew"`
	// RefreshInterval is how often the key set is fetched again.
	RefreshInterval time.Duration `json:"refreshInterval"`
}

// X509Auth accepts client certificates (of HTTPS listeners) that chain to one of
// the CAs of the Secrets its selector chose.
type X509Auth struct {
	// Roots holds the CA certificates.
	Roots *x509.CertPool `json:"-"`
	// CASecrets are "namespace/name" of the Secrets the CAs come from, sorted.
	CASecrets []string `json:"caSecrets"`
}

// IntrospectionAuth asks an OAuth 2.0 token introspection endpoint (RFC 7662)
// whether a token is active.
type IntrospectionAuth struct {
	Endpoint string `json:"endpoint"`
	// ClientID and ClientSecret authenticate the gateway to the endpoint
	// (HTTP Basic), from the Secret named by CredentialsSecret.
	ClientID          string `json:"-"`
	ClientSecret      string `json:"-"`
	CredentialsSecret string `json:"credentialsSecret"`
	// TokenTypeHint is sent as token_type_hint when set.
	TokenTypeHint string `json:"tokenTypeHint,omitempty"`
	// CacheTTL is how long an answer is reused for the same token (never past
	// the token's "exp"); zero disables the cache.
	CacheTTL time.Duration `json:"cacheTTL"`
}

// Authorizer is one named authorization rule: every condition must be true.
type Authorizer struct {
	AuthRule
	Conditions []*AuthCondition `json:"conditions"`
}

// AuthCondition is one compiled pattern or predicate (patterns referenced by
// name are resolved by the compiler).
type AuthCondition struct {
	// Expression is a CEL expression that must evaluate to true; an evaluation
	// error (a claim that is not there) denies.
	Expression *Expression `json:"expression"`
	// Scope, when set, is the OAuth scope the condition requires; a request it
	// denies is answered with error="insufficient_scope" and this scope.
	Scope string `json:"scope,omitempty"`
}

// Value is a static string or a CEL expression evaluated per request.
type Value struct {
	Static     string      `json:"static,omitempty"`
	Expression *Expression `json:"expression,omitempty"`
}

// NamedValue is a value under a name (a header, a JSON property).
type NamedValue struct {
	Name  string `json:"name"`
	Value Value  `json:"value"`
}

// DenialResponse changes how a 401 or 403 looks.
type DenialResponse struct {
	// Code replaces the status code when not zero.
	Code int `json:"code,omitempty"`
	// Message, when set, replaces the problem's detail.
	Message *Value `json:"message,omitempty"`
	// Headers are added to the answer.
	Headers []*NamedValue `json:"headers,omitempty"`
	// Body, when set, replaces the problem+json body.
	Body *Value `json:"body,omitempty"`
}

// SuccessHeader is a header set on the request sent upstream: a plain value, or
// a JSON object of properties.
type SuccessHeader struct {
	Policy string        `json:"policy"`
	Name   string        `json:"name"`
	Plain  *Value        `json:"plain,omitempty"`
	JSON   []*NamedValue `json:"json,omitempty"`
	// When must all be true for the header to be set (its policy's `when`).
	When []*Expression `json:"when,omitempty"`
}
