package compiler

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// condition builds one status condition. LastTransitionTime stays zero on purpose: the
// compiler has no clock, and the status writer keeps the stored transition time of a
// condition whose status did not change.
func condition[T ~string, R ~string](conditionType T, status bool, reason R, message string, generation int64) metav1.Condition {
	conditionStatus := metav1.ConditionFalse
	if status {
		conditionStatus = metav1.ConditionTrue
	}
	return metav1.Condition{
		Type:               string(conditionType),
		Status:             conditionStatus,
		ObservedGeneration: generation,
		Reason:             string(reason),
		Message:            message,
	}
}

// setCondition replaces the condition of the same type, or appends it. It edits
// conditions in place: only use it on slices the compiler built itself.
func setCondition(conditions []metav1.Condition, updated metav1.Condition) []metav1.Condition {
	for i := range conditions {
		if conditions[i].Type == updated.Type {
			conditions[i] = updated
			return conditions
		}
	}
	return append(conditions, updated)
}

// findCondition returns the condition of the given type, or nil.
func findCondition(conditions []metav1.Condition, conditionType string) *metav1.Condition {
	for i := range conditions {
		if conditions[i].Type == conditionType {
			return &conditions[i]
		}
	}
	return nil
}
