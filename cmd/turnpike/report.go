package main

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	tpv1a1 "github.com/turnpike-gateway/turnpike/api/v1alpha1"
	"github.com/turnpike-gateway/turnpike/controllers/compiler"
)

// finding is one condition of the report that is not as a healthy object has it.
type finding struct {
	Object    string // "HTTPRoute default/web (parent default/gw)"
	Condition metav1.Condition
}

func (f finding) String() string {
	return fmt.Sprintf("%s: %s=%s (%s): %s", f.Object, f.Condition.Type, f.Condition.Status, f.Condition.Reason, f.Condition.Message)
}

// abnormal reports whether a condition says something is wrong. Most Gateway API
// conditions are positive (True is good); Conflicted and PartiallyInvalid are negative.
// A policy that is not Enforced because another one overrides it is working as its
// authors asked (a Gateway's overrides beat a route's own policy), so it is not a
// problem.
func abnormal(cond metav1.Condition) bool {
	switch cond.Type {
	case "Conflicted", "PartiallyInvalid":
		return cond.Status == metav1.ConditionTrue
	case string(tpv1a1.PolicyConditionEnforced):
		return cond.Status != metav1.ConditionTrue && cond.Reason != string(tpv1a1.PolicyReasonOverridden)
	default:
		return cond.Status != metav1.ConditionTrue
	}
}

// findings lists, in a stable order, every abnormal condition of a report. In
// standalone mode this is the status a user would read with kubectl in a cluster.
func findings(report *compiler.Report) []finding {
	var out []finding
	add := func(object string, conds []metav1.Condition) {
		for _, cond := range conds {
			if abnormal(cond) {
				out = append(out, finding{Object: object, Condition: cond})
			}
		}
	}
	for name, res := range report.GatewayClasses {
		add("GatewayClass "+name, res.Conditions)
	}
	for key, res := range report.Gateways {
		add("Gateway "+key.String(), res.Conditions)
		for _, listener := range res.Listeners {
			add(fmt.Sprintf("Gateway %s listener %s", key, listener.Name), listener.Conditions)
		}
	}
	for key, res := range report.HTTPRoutes {
		for _, parent := range res.Parents {
			ns := key.Namespace
			if parent.ParentRef.Namespace != nil {
				ns = string(*parent.ParentRef.Namespace)
			}
			parentName := ns + "/" + string(parent.ParentRef.Name)
			if parent.ParentRef.SectionName != nil {
				parentName += "/" + string(*parent.ParentRef.SectionName)
			}
			add(fmt.Sprintf("HTTPRoute %s (parent %s)", key, parentName), parent.Conditions)
		}
	}
	// The top-level conditions sum up the per-Gateway ones, so those are enough.
	for key, res := range report.RateLimitPolicies {
		add("RateLimitPolicy "+key.String(), res.Conditions)
	}
	for key, res := range report.AuthPolicies {
		add("AuthPolicy "+key.String(), res.Conditions)
	}
	slices.SortFunc(out, func(a, b finding) int { return strings.Compare(a.String(), b.String()) })
	return out
}

// summary counts what a report covers, for one log line per compile.
func summary(report *compiler.Report) []any {
	listeners := 0
	for _, gw := range report.Gateways {
		listeners += len(gw.Listeners)
	}
	return []any{"gatewayClasses", len(report.GatewayClasses), "gateways", len(report.Gateways),
		"listeners", listeners, "httpRoutes", len(report.HTTPRoutes), "rateLimitPolicies", len(report.RateLimitPolicies),
		"authPolicies", len(report.AuthPolicies)}
}

// reportLogger is standalone mode's status writer: it logs what changed in the
// report, so a steady configuration does not repeat itself in the log.
type reportLogger struct {
	log      logr.Logger
	mu       sync.Mutex
	previous map[string]bool
}

func (r *reportLogger) Update(report *compiler.Report) {
	r.mu.Lock()
	defer r.mu.Unlock()
	current := map[string]bool{}
	for _, f := range findings(report) {
		line := f.String()
		current[line] = true
		if !r.previous[line] {
			r.log.Info("Object not fully accepted", "object", f.Object, "condition", f.Condition.Type,
				"status", f.Condition.Status, "reason", f.Condition.Reason, "message", f.Condition.Message)
		}
	}
	for line := range r.previous {
		if !current[line] {
			r.log.Info("Resolved", "was", line)
		}
	}
	r.previous = current
	r.log.Info("Configuration is live", summary(report)...)
}
