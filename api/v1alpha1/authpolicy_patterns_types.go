package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime"
)

// Conditions and values of AuthPolicy rules, in Authorino's shapes. Selectors are
// Authorino's JSON paths over the request and what auth learned; Turnpike reads
// the paths that name a field ("request.method", "auth.identity.realm_access.roles",
// "request.headers.x-api-key", "auth.identity.groups.0") and rejects the rest
// (modifiers such as @extract, wildcards), so that a condition never silently
// means something else than in Kuadrant. CEL is accepted wherever Authorino accepts
// it (predicate, expression), in the same environment as RateLimitPolicy.

// PatternOperator compares the value a selector fetches with a pattern's value.
// +kubebuilder:validation:Enum=eq;neq;incl;excl;matches
type PatternOperator string

const (
	// PatternOperatorEq: the value, as a string, equals.
	PatternOperatorEq PatternOperator = "eq"
	// PatternOperatorNeq: the value, as a string, does not equal.
	PatternOperatorNeq PatternOperator = "neq"
	// PatternOperatorIncl: the list includes the value; for a string (an OAuth
	// "scope" claim), its space-separated words do.
	PatternOperatorIncl PatternOperator = "incl"
	// PatternOperatorExcl: the list (or the words of a string) does not include it.
	PatternOperatorExcl PatternOperator = "excl"
	// PatternOperatorMatches: the value, as a string, matches the regular
	// expression (RE2 syntax, unanchored).
	PatternOperatorMatches PatternOperator = "matches"
)

// PatternExpression compares what a selector fetches with a value.
type PatternExpression struct {
	// Selector is the path of the value to compare, such as request.method or
	// auth.identity.realm_access.roles.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Selector string `json:"selector,omitempty"`

	// Operator is eq, neq, incl, excl or matches.
	// +optional
	Operator PatternOperator `json:"operator,omitempty"`

	// Value is compared with; a regular expression for matches.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Value string `json:"value,omitempty"`
}

// PatternExpressionOrRef is one condition: exactly one of a pattern expression
// (selector, operator, value), a patternRef, a CEL predicate, all or any.
type PatternExpressionOrRef struct {
	PatternExpression `json:",inline"`

	// PatternRef names a pattern of the same policy (spec.patterns); all its
	// expressions must hold.
	// +optional
	PatternRef string `json:"patternRef,omitempty"`

	// Predicate is a CEL expression that must be true.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Predicate string `json:"predicate,omitempty"`

	// All are conditions that must all hold.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	All []UnstructuredPatternExpressionOrRef `json:"all,omitempty"`

	// Any are conditions of which at least one must hold.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	Any []UnstructuredPatternExpressionOrRef `json:"any,omitempty"`
}

// UnstructuredPatternExpressionOrRef is a nested condition. Its schema is left open
// (as in Authorino's CRD) because a schema cannot be recursive; Turnpike checks it
// when compiling the policy.
//
// +kubebuilder:validation:Type=object
// +kubebuilder:pruning:PreserveUnknownFields
type UnstructuredPatternExpressionOrRef struct {
	PatternExpressionOrRef `json:",inline"`
}

// ValueOrSelector is a value set per request: exactly one of a static value, a
// selector, or a CEL expression.
type ValueOrSelector struct {
	// Value is a static JSON value.
	// +optional
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:pruning:PreserveUnknownFields
	Value *runtime.RawExtension `json:"value,omitempty"`

	// Selector is a path, as in pattern expressions, or a template of paths in
	// braces: "Hello, {auth.identity.name}!".
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Selector string `json:"selector,omitempty"`

	// Expression is a CEL expression.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Expression string `json:"expression,omitempty"`
}
