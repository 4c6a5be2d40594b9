package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// The pieces every Turnpike policy shares. They follow Kuadrant's policy APIs
// (kuadrant.io/v1) field for field, so that a Kuadrant manifest works after changing
// only its apiVersion.

// WhenPredicate is one CEL expression that must evaluate to true for a rule to apply.
// It reads the well-known attributes: request.method, request.path, request.host,
// request.headers['name'], source.address, auth.identity.* and others (see
// docs/ratelimitpolicy.md).
type WhenPredicate struct {
	// Predicate is the CEL expression, for example "request.method == 'POST'".
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	Predicate string `json:"predicate"`
}

// MergeStrategy says how a block of defaults or overrides combines with the policies
// of the objects above or below its target.
// +kubebuilder:validation:Enum=atomic;merge
type MergeStrategy string

const (
	// MergeStrategyAtomic takes one policy's rules whole: the more specific policy's
	// for defaults, the less specific policy's for overrides.
	MergeStrategyAtomic MergeStrategy = "atomic"
	// MergeStrategyMerge combines the rules of both policies by name; where both name
	// the same rule, the more specific one wins for defaults and the less specific
	// one for overrides.
	MergeStrategyMerge MergeStrategy = "merge"
)

// PolicyStatus is the status of a Turnpike policy. It carries Kuadrant's top-level
// conditions (what `kubectl get` shows in its printer columns) and the Gateway API's
// per-ancestor status (what Gateway API tooling reads), which say the same thing per
// Gateway.
type PolicyStatus struct {
	// ObservedGeneration is the metadata.generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Conditions are Accepted (reasons Accepted, Invalid, TargetNotFound,
	// Conflicted) and Enforced (reasons Enforced, Overridden, Unknown). Enforced is
	// set only while the policy is Accepted, and is True only once a snapshot holding
	// the policy serves traffic.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// Ancestors are the Gateways the policy affects, each with the policy's
	// conditions there. Entries written by other controllers are left alone.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=16
	Ancestors []gwapiv1.PolicyAncestorStatus `json:"ancestors,omitempty"`
}

// PolicyConditionEnforced is the condition type saying whether a policy's rules are
// in force in the data plane. (Accepted and its reasons are the Gateway API's:
// gwapiv1.PolicyConditionAccepted and gwapiv1.PolicyReason*.)
const PolicyConditionEnforced gwapiv1.PolicyConditionType = "Enforced"

const (
	// PolicyReasonEnforced: the policy's rules are served on at least one route.
	PolicyReasonEnforced gwapiv1.PolicyConditionReason = "Enforced"
	// PolicyReasonOverridden: every rule of the policy is replaced by another
	// policy's (a more specific policy's defaults, a less specific one's overrides).
	PolicyReasonOverridden gwapiv1.PolicyConditionReason = "Overridden"
	// PolicyReasonUnknown: the policy is accepted but applies to no route that is
	// served (the target serves no route yet, or its listeners cannot be bound).
	PolicyReasonUnknown gwapiv1.PolicyConditionReason = "Unknown"
)
