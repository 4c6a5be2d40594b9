package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// AuthPolicy protects a Gateway, one of its listeners, an HTTPRoute or one of its
// rules: requests must authenticate (API keys, JWTs, client certificates, OAuth 2.0
// token introspection) and be authorized (patterns over the request and the
// identity) before they reach a backend. Its shape is Kuadrant's AuthPolicy
// (kuadrant.io/v1), whose rules are Authorino's AuthConfig (authorino.kuadrant.io/
// v1beta3); Turnpike evaluates it in process, with no external service.
//
// Kuadrant features Turnpike does not evaluate (metadata, callbacks, OPA, SpiceDB,
// Kubernetes TokenReview and SubjectAccessReview, wristbands) are kept as written
// and make the policy Invalid with a message naming them, rather than being
// silently ignored: a policy is either enforced as written or not at all.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ap
// +kubebuilder:metadata:labels="gateway.networking.k8s.io/policy=inherited"
// +kubebuilder:printcolumn:name="Accepted",type=string,JSONPath=`.status.conditions[?(@.type=="Accepted")].status`,description="Whether the policy is valid and its target exists"
// +kubebuilder:printcolumn:name="Enforced",type=string,JSONPath=`.status.conditions[?(@.type=="Enforced")].status`,description="Whether the policy's rules are in force"
// +kubebuilder:printcolumn:name="TargetKind",type=string,JSONPath=`.spec.targetRef.kind`,description="Kind of the object the policy applies to",priority=1
// +kubebuilder:printcolumn:name="TargetName",type=string,JSONPath=`.spec.targetRef.name`,description="Name of the object the policy applies to",priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type AuthPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   AuthPolicySpec `json:"spec,omitempty"`
	Status PolicyStatus   `json:"status,omitempty"`
}

// AuthPolicySpec holds exactly one of: bare rules (implicit defaults), defaults, or
// overrides. The validation messages are Kuadrant's.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.defaults) && (has(self.patterns) || has(self.when) || has(self.rules)))",message="Implicit and explicit defaults are mutually exclusive"
// +kubebuilder:validation:XValidation:rule="!(has(self.overrides) && (has(self.patterns) || has(self.when) || has(self.rules)))",message="Implicit defaults and explicit overrides are mutually exclusive"
// +kubebuilder:validation:XValidation:rule="!(has(self.overrides) && has(self.defaults))",message="Explicit overrides and explicit defaults are mutually exclusive"
// +kubebuilder:validation:XValidation:rule="!(has(self.overrides) || has(self.defaults)) ? has(self.rules) && ((has(self.rules.authentication) && size(self.rules.authentication) > 0) || (has(self.rules.metadata) && size(self.rules.metadata) > 0) || (has(self.rules.authorization) && size(self.rules.authorization) > 0) || (has(self.rules.response) && (has(self.rules.response.unauthenticated) || has(self.rules.response.unauthorized) || (has(self.rules.response.success) && ((has(self.rules.response.success.headers) && size(self.rules.response.success.headers) > 0) || (has(self.rules.response.success.filters) && size(self.rules.response.success.filters) > 0))))) || (has(self.rules.callbacks) && size(self.rules.callbacks) > 0)) : true",message="At least one spec.rules must be defined"
// +kubebuilder:validation:XValidation:rule="has(self.defaults) ? has(self.defaults.rules) && ((has(self.defaults.rules.authentication) && size(self.defaults.rules.authentication) > 0) || (has(self.defaults.rules.metadata) && size(self.defaults.rules.metadata) > 0) || (has(self.defaults.rules.authorization) && size(self.defaults.rules.authorization) > 0) || (has(self.defaults.rules.response) && (has(self.defaults.rules.response.unauthenticated) || has(self.defaults.rules.response.unauthorized) || (has(self.defaults.rules.response.success) && ((has(self.defaults.rules.response.success.headers) && size(self.defaults.rules.response.success.headers) > 0) || (has(self.defaults.rules.response.success.filters) && size(self.defaults.rules.response.success.filters) > 0))))) || (has(self.defaults.rules.callbacks) && size(self.defaults.rules.callbacks) > 0)) : true",message="At least one spec.defaults.rules must be defined"
// +kubebuilder:validation:XValidation:rule="has(self.overrides) ? has(self.overrides.rules) && ((has(self.overrides.rules.authentication) && size(self.overrides.rules.authentication) > 0) || (has(self.overrides.rules.metadata) && size(self.overrides.rules.metadata) > 0) || (has(self.overrides.rules.authorization) && size(self.overrides.rules.authorization) > 0) || (has(self.overrides.rules.response) && (has(self.overrides.rules.response.unauthenticated) || has(self.overrides.rules.response.unauthorized) || (has(self.overrides.rules.response.success) && ((has(self.overrides.rules.response.success.headers) && size(self.overrides.rules.response.success.headers) > 0) || (has(self.overrides.rules.response.success.filters) && size(self.overrides.rules.response.success.filters) > 0))))) || (has(self.overrides.rules.callbacks) && size(self.overrides.rules.callbacks) > 0)) : true",message="At least one spec.overrides.rules must be defined"
type AuthPolicySpec struct {
	// TargetRef is the Gateway (optionally one listener, by sectionName) or the
	// HTTPRoute (optionally one rule, by its name) the policy applies to, in the
	// policy's namespace.
	// +kubebuilder:validation:XValidation:rule="self.group == 'gateway.networking.k8s.io'",message="Invalid targetRef.group. The only supported value is 'gateway.networking.k8s.io'"
	// +kubebuilder:validation:XValidation:rule="self.kind == 'HTTPRoute' || self.kind == 'Gateway'",message="Invalid targetRef.kind. The only supported values are 'HTTPRoute' and 'Gateway'"
	TargetRef gwapiv1.LocalPolicyTargetReferenceWithSectionName `json:"targetRef"`

	// Defaults apply where no more specific policy sets rules (atomic), or where it
	// does not set a rule of the same name (merge).
	// +optional
	Defaults *MergeableAuthPolicyRules `json:"defaults,omitempty"`

	// Overrides replace the rules of more specific policies (atomic), or their rules
	// of the same name (merge).
	// +optional
	Overrides *MergeableAuthPolicyRules `json:"overrides,omitempty"`

	// The bare rules are implicit atomic defaults.
	AuthPolicyRules `json:",inline"`
}

// MergeableAuthPolicyRules is a block of defaults or overrides.
type MergeableAuthPolicyRules struct {
	// Strategy is how the block combines with other policies' rules.
	// +kubebuilder:default=atomic
	// +optional
	Strategy MergeStrategy `json:"strategy,omitempty"`

	AuthPolicyRules `json:",inline"`
}

// AuthPolicyRules are the rules of a policy, the named patterns they may refer to,
// and the predicates that gate all of them.
type AuthPolicyRules struct {
	// Patterns are named lists of pattern expressions that `when` conditions and
	// patternMatching authorization rules of the same policy refer to by name
	// (patternRef).
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	Patterns map[string]PatternExpressions `json:"patterns,omitempty"`

	// When are predicates that must all be true for any rule of this policy to
	// apply to a request; a request for which one is false is not subject to the
	// policy at all.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	When []WhenPredicate `json:"when,omitempty"`

	// Rules are the authentication, authorization and response rules.
	// +optional
	Rules *AuthRules `json:"rules,omitempty"`
}

// PatternExpressions is a named pattern: all its expressions must hold.
type PatternExpressions struct {
	// AllOf are the expressions, all of which must hold.
	// +kubebuilder:validation:MaxItems=32
	AllOf []PatternExpression `json:"allOf"`
}

// AuthRules are the rules of an AuthPolicy, each map keyed by rule name. Where
// policies merge, rules of the same section and name replace each other.
type AuthRules struct {
	// Authentication rules: one of those that apply must succeed, tried by
	// priority (lowest first), then policy, then name; the first that succeeds
	// sets auth.identity. Without any that apply, no credential is required.
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	Authentication map[string]AuthenticationRule `json:"authentication,omitempty"`

	// Metadata (Authorino's external metadata sources) is not supported by
	// Turnpike: a policy that sets it is Invalid.
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	Metadata map[string]UnsupportedRule `json:"metadata,omitempty"`

	// Authorization rules: every one that applies must allow the request.
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	Authorization map[string]AuthorizationRule `json:"authorization,omitempty"`

	// Response changes the answers to denied requests and passes what was
	// learned about an allowed one to the backend.
	// +optional
	Response *AuthResponseRules `json:"response,omitempty"`

	// Callbacks (requests Authorino sends after deciding) are not supported by
	// Turnpike: a policy that sets them is Invalid.
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	Callbacks map[string]UnsupportedRule `json:"callbacks,omitempty"`
}

// UnsupportedRule is a rule of a kind Turnpike does not evaluate, kept as written
// (the API server does not prune it) so that the policy can be rejected naming it.
//
// +kubebuilder:validation:Type=object
// +kubebuilder:pruning:PreserveUnknownFields
type UnsupportedRule struct {
	runtime.RawExtension `json:",inline"`
}

// CommonRuleSpec are the options every Authorino rule shares (its
// CommonEvaluatorSpec).
type CommonRuleSpec struct {
	// Priority orders the rules of a section: lower runs first. (Authorino runs
	// rules of one priority concurrently; Turnpike runs them in order of policy and
	// name, which gives the same answers.)
	// +optional
	Priority int `json:"priority,omitempty"`

	// Metrics is accepted for compatibility; Turnpike's auth metrics always name
	// the policy and rule.
	// +optional
	Metrics bool `json:"metrics,omitempty"`

	// When are conditions that must all hold for the rule to apply.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	When []PatternExpressionOrRef `json:"when,omitempty"`

	// Cache keeps a rule's answer for a while. Only oauth2Introspection uses it
	// (ttl is how long an introspection answer is reused for the same token);
	// other rules are cached by Turnpike itself, keyed by the credential, and the
	// key is never needed.
	// +optional
	Cache *RuleCache `json:"cache,omitempty"`
}

// RuleCache is Authorino's EvaluatorCaching.
type RuleCache struct {
	// Key is what the cached answer is stored under.
	Key ValueOrSelector `json:"key"`

	// TTL is how long, in seconds, an answer is kept; 60 when not set.
	// +optional
	// +kubebuilder:validation:Minimum=0
	TTL int `json:"ttl,omitempty"`
}

// AuthPolicyList is a list of AuthPolicies.
//
// +kubebuilder:object:root=true
type AuthPolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AuthPolicy `json:"items"`
}

func init() {
	objectTypes = append(objectTypes, &AuthPolicy{}, &AuthPolicyList{})
}
