package controllers

import (
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// mergeConditions returns the desired conditions, each keeping the stored
// LastTransitionTime when its status did not change (so "since when" stays true),
// and stamped with now when it did or is new. Stored conditions of types the compiler
// no longer reports are dropped: Turnpike owns every condition on these objects.
func mergeConditions(existing, desired []metav1.Condition, now metav1.Time) []metav1.Condition {
	out := make([]metav1.Condition, 0, len(desired))
	for _, cond := range desired {
		cond.LastTransitionTime = now
		if old := meta.FindStatusCondition(existing, cond.Type); old != nil && old.Status == cond.Status {
			cond.LastTransitionTime = old.LastTransitionTime
		}
		out = append(out, cond)
	}
	return out
}

// mergeRouteParents keeps other controllers' parent entries untouched and replaces
// ours with the desired ones, merging conditions per parentRef.
func mergeRouteParents(existing, desired []gwapiv1.RouteParentStatus, ours gwapiv1.GatewayController, now metav1.Time) []gwapiv1.RouteParentStatus {
	out := make([]gwapiv1.RouteParentStatus, 0, len(existing)+len(desired))
	for _, parent := range existing {
		if parent.ControllerName != ours {
			out = append(out, parent)
		}
	}
	for _, parent := range desired {
		var old []metav1.Condition
		for _, prev := range existing {
			if prev.ControllerName == ours && equality.Semantic.DeepEqual(prev.ParentRef, parent.ParentRef) {
				old = prev.Conditions
			}
		}
		parent.Conditions = mergeConditions(old, parent.Conditions, now)
		out = append(out, parent)
	}
	return out
}

func hasParentsOf(parents []gwapiv1.RouteParentStatus, controller gwapiv1.GatewayController) bool {
	for _, parent := range parents {
		if parent.ControllerName == controller {
			return true
		}
	}
	return false
}
