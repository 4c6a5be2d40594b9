package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// RateLimitPolicy limits the rate of requests through a Gateway, one of its listeners,
// an HTTPRoute or one of its rules. Its shape is Kuadrant's RateLimitPolicy
// (kuadrant.io/v1); Turnpike enforces it in process, with no external service.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=rlp
// +kubebuilder:metadata:labels="gateway.networking.k8s.io/policy=inherited"
// +kubebuilder:printcolumn:name="Accepted",type=string,JSONPath=`.status.conditions[?(@.type=="Accepted")].status`,description="Whether the policy is valid and its target exists"
// +kubebuilder:printcolumn:name="Enforced",type=string,JSONPath=`.status.conditions[?(@.type=="Enforced")].status`,description="Whether the policy's limits are in force"
// +kubebuilder:printcolumn:name="TargetKind",type=string,JSONPath=`.spec.targetRef.kind`,description="Kind of the object the policy applies to",priority=1
// +kubebuilder:printcolumn:name="TargetName",type=string,JSONPath=`.spec.targetRef.name`,description="Name of the object the policy applies to",priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type RateLimitPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   RateLimitPolicySpec `json:"spec,omitempty"`
	Status PolicyStatus        `json:"status,omitempty"`
}

// RateLimitPolicySpec holds exactly one of: bare limits (implicit defaults),
// defaults, or overrides. The validation messages are Kuadrant's.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.defaults) && has(self.limits))",message="Implicit and explicit defaults are mutually exclusive"
// +kubebuilder:validation:XValidation:rule="!(has(self.defaults) && has(self.overrides))",message="Overrides and explicit defaults are mutually exclusive"
// +kubebuilder:validation:XValidation:rule="!(has(self.overrides) && has(self.limits))",message="Overrides and implicit defaults are mutually exclusive"
// +kubebuilder:validation:XValidation:rule="!(has(self.overrides) || has(self.defaults)) ? has(self.limits) && size(self.limits) > 0 : true",message="At least one spec.limits must be defined"
// +kubebuilder:validation:XValidation:rule="has(self.overrides) ? has(self.overrides.limits) && size(self.overrides.limits) > 0 : true",message="At least one spec.overrides.limits must be defined"
// +kubebuilder:validation:XValidation:rule="has(self.defaults) ? has(self.defaults.limits) && size(self.defaults.limits) > 0 : true",message="At least one spec.defaults.limits must be defined"
type RateLimitPolicySpec struct {
	// TargetRef is the Gateway (optionally one listener, by sectionName) or the
	// HTTPRoute (optionally one rule, by its name) the policy applies to, in the
	// policy's namespace.
	// +kubebuilder:validation:XValidation:rule="self.group == 'gateway.networking.k8s.io'",message="Invalid targetRef.group. The only supported value is 'gateway.networking.k8s.io'"
	// +kubebuilder:validation:XValidation:rule="self.kind == 'HTTPRoute' || self.kind == 'Gateway'",message="Invalid targetRef.kind. The only supported values are 'HTTPRoute' and 'Gateway'"
	TargetRef gwapiv1.LocalPolicyTargetReferenceWithSectionName `json:"targetRef"`

	// Defaults apply where no more specific policy sets limits (atomic), or where
	// it does not set a limit of the same name (merge).
	// +optional
	Defaults *MergeableRateLimitRules `json:"defaults,omitempty"`

	// Overrides replace the limits of more specific policies (atomic), or their
	// limits of the same name (merge).
	// +optional
	Overrides *MergeableRateLimitRules `json:"overrides,omitempty"`

	// The bare rules are implicit atomic defaults.
	RateLimitRules `json:",inline"`
}

// MergeableRateLimitRules is a block of defaults or overrides.
type MergeableRateLimitRules struct {
	// Strategy is how the block combines with other policies' limits.
	// +kubebuilder:default=atomic
	// +optional
	Strategy MergeStrategy `json:"strategy,omitempty"`

	RateLimitRules `json:",inline"`
}

// RateLimitRules are the named limits and the predicates that gate all of them.
type RateLimitRules struct {
	// When are predicates that must all be true for any limit of this block to
	// apply to a request.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	When []WhenPredicate `json:"when,omitempty"`

	// Limits are the limits by name. A request is admitted only while every limit
	// that applies to it has room.
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	Limits map[string]Limit `json:"limits,omitempty"`
}

// Limit is one named limit: its rates, what it counts per, and when it applies.
type Limit struct {
	// When are predicates that must all be true (with the block's) for the limit to
	// apply to a request.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	When []WhenPredicate `json:"when,omitempty"`

	// Counters are CEL expressions whose values select the counter: one counter
	// per distinct value (per API key, per client address, ...). Without counters
	// every request the limit applies to shares one counter.
	// +optional
	// +kubebuilder:validation:MaxItems=8
	Counters []Counter `json:"counters,omitempty"`

	// Rates are each their own window: "100 per 1s and 1000 per 1m".
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=8
	Rates []Rate `json:"rates"`
}

// Counter is one expression a limit counts per.
type Counter struct {
	// Expression is a CEL expression, for example "request.headers['x-api-key']".
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	Expression string `json:"expression"`
}

// Rate is "Limit requests per Window".
type Rate struct {
	// Limit is how many requests the window admits; 0 admits none.
	// +kubebuilder:validation:Minimum=0
	Limit int64 `json:"limit"`

	// Window is the period the limit counts over, in the Gateway API duration
	// format: "10s", "1m", "1h", "1h30m", "500ms".
	Window Duration `json:"window"`
}

// Duration is a Gateway API duration (GEP-2257): what Go's time.ParseDuration reads,
// limited to h, m, s and ms.
// +kubebuilder:validation:Pattern=`^([0-9]{1,5}(h|m|s|ms)){1,4}$`
type Duration string

// RateLimitPolicyList is a list of RateLimitPolicies.
//
// +kubebuilder:object:root=true
type RateLimitPolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []RateLimitPolicy `json:"items"`
}

func init() {
	objectTypes = append(objectTypes, &RateLimitPolicy{}, &RateLimitPolicyList{})
}
