package controllers

import (
	"context"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	tpv1a1 "github.com/turnpike-gateway/turnpike/api/v1alpha1"
	"github.com/turnpike-gateway/turnpike/controllers/compiler"
)

// maxPolicyAncestors is the Gateway API's limit on a policy's status.ancestors.
const maxPolicyAncestors = 16

// writePolicies writes the status of every policy in the report. Every policy of a
// Turnpike kind is in the report, so there is nothing to clean up elsewhere.
func (w *StatusWriter) writePolicies(ctx context.Context, report *compiler.Report) int {
	failed := 0
	for key := range report.RateLimitPolicies {
		failed += w.writeOne(ctx, &tpv1a1.RateLimitPolicy{}, key, report)
	}
	for key := range report.AuthPolicies {
		failed += w.writeOne(ctx, &tpv1a1.AuthPolicy{}, key, report)
	}
	return failed
}

// mergePolicy makes status what the report says, keeping transition times of
// unchanged conditions and the ancestor entries of other controllers. It reports
// whether anything changed.
func (w *StatusWriter) mergePolicy(status *tpv1a1.PolicyStatus, res *compiler.PolicyResult) bool {
	before := status.DeepCopy()
	now := w.now()
	status.ObservedGeneration = res.Generation
	status.Conditions = mergeConditions(before.Conditions, res.Conditions, now)
	status.Ancestors = mergePolicyAncestors(before.Ancestors, res.Ancestors, w.controllerName, now)
	return !equality.Semantic.DeepEqual(before, status)
}

// mergePolicyAncestors keeps other controllers' entries untouched and replaces ours
// with the desired ones, merging conditions per ancestorRef. When the list is full,
// ours that do not fit are left out, as the Gateway API asks.
func mergePolicyAncestors(existing, desired []gwapiv1.PolicyAncestorStatus, ours gwapiv1.GatewayController, now metav1.Time) []gwapiv1.PolicyAncestorStatus {
	out := make([]gwapiv1.PolicyAncestorStatus, 0, min(len(existing)+len(desired), maxPolicyAncestors))
	for _, ancestor := range existing {
		if ancestor.ControllerName != ours {
			out = append(out, ancestor)
		}
	}
	for _, ancestor := range desired {
		if len(out) >= maxPolicyAncestors {
			break
		}
		var old []metav1.Condition
		for _, prev := range existing {
			if prev.ControllerName == ours && equality.Semantic.DeepEqual(prev.AncestorRef, ancestor.AncestorRef) {
				old = prev.Conditions
			}
		}
		ancestor.Conditions = mergeConditions(old, ancestor.Conditions, now)
		out = append(out, ancestor)
	}
	return out
}
