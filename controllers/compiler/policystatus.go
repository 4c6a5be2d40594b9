package compiler

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	tpv1a1 "github.com/turnpike-gateway/turnpike/api/v1alpha1"
)

// maxPolicyAncestors is the Gateway API's limit on status.ancestors.
const maxPolicyAncestors = 16

// maxStatusNotes bounds the warnings and problems a message lists: a condition
// message may not pass 32768 bytes, and a status the API server rejects would
// leave the user with none.
const maxStatusNotes = 8

// result builds a policy's status: Accepted, and while accepted, Enforced, both at
// the top level (Kuadrant's conditions) and per Gateway (the Gateway API's
// ancestors). Enforced=True means the policy is in a snapshot; the status writer
// only writes reports whose snapshot is live, and ApplyPublishResult takes it back
// where the sockets could not be bound.
func (p *policyState) result(controllerName gwapiv1.GatewayController) *PolicyResult {
	res := &PolicyResult{Generation: p.generation}
	accepted := p.acceptedCondition()
	res.Conditions = []metav1.Condition{accepted}
	if p.accepted() {
		res.Conditions = append(res.Conditions, p.enforcedCondition(p.gatewayKeys()))
	}
	ancestors := p.target.ancestors
	if len(ancestors) > maxPolicyAncestors {
		ancestors = ancestors[:maxPolicyAncestors] // sorted: the same ones every time
	}
	for _, ref := range ancestors {
		conditions := []metav1.Condition{accepted}
		if p.accepted() {
			gw := types.NamespacedName{Namespace: string(*ref.Namespace), Name: string(ref.Name)}
			conditions = append(conditions, p.enforcedCondition([]types.NamespacedName{gw}))
		}
		res.Ancestors = append(res.Ancestors, gwapiv1.PolicyAncestorStatus{
			AncestorRef:    *ref.DeepCopy(),
			ControllerName: controllerName,
			Conditions:     conditions,
		})
	}
	for gw, record := range p.served {
		if len(record.sockets) > 0 {
			if res.Sockets == nil {
				res.Sockets = map[string][]string{}
			}
			res.Sockets[gw.String()] = sortedKeys(record.sockets)
		}
	}
	return res
}

func (p *policyState) acceptedCondition() metav1.Condition {
	if !p.accepted() {
		return condition(gwapiv1.PolicyConditionAccepted, false, p.rejectReason, p.rejectMessage, p.generation)
	}
	message := fmt.Sprintf("%s is accepted.", p.kind)
	for i, warning := range p.warnings {
		if i == maxStatusNotes {
			message += fmt.Sprintf(" And %d more.", len(p.warnings)-i)
			break
		}
		message += " " + sentence(warning)
	}
	return condition(gwapiv1.PolicyConditionAccepted, true, gwapiv1.PolicyReasonAccepted, message, p.generation)
}

// enforcedCondition sums up what the policy did on the given Gateways.
func (p *policyState) enforcedCondition(gateways []types.NamespacedName) metav1.Condition {
	enforced := false
	overriddenBy := map[types.NamespacedName]bool{}
	overriddenLimits := map[string]bool{}
	notes := map[string]bool{}
	for _, gw := range gateways {
		record := p.served[gw]
		if record == nil {
			continue
		}
		enforced = enforced || len(record.sockets) > 0
		for key := range record.overriddenBy {
			overriddenBy[key] = true
		}
		for name := range record.overriddenLimits {
			overriddenLimits[name] = true
		}
		for note := range record.notes {
			notes[note] = true
		}
	}
	var noted string
	for _, note := range sortedKeys(notes) {
		noted += " " + sentence(note)
	}
	switch {
	case enforced && len(overriddenLimits) == 0:
		return condition(tpv1a1.PolicyConditionEnforced, true, tpv1a1.PolicyReasonEnforced,
			fmt.Sprintf("%s is enforced.", p.kind)+noted, p.generation)
	case enforced:
		return condition(tpv1a1.PolicyConditionEnforced, true, tpv1a1.PolicyReasonEnforced,
			fmt.Sprintf("%s is partially enforced: on some routes, %s overridden by %s.",
				p.kind, ruleList(p.ruleNoun, slices.Sorted(maps.Keys(overriddenLimits))), policyList(overriddenBy))+noted, p.generation)
	case len(overriddenBy) > 0:
		return condition(tpv1a1.PolicyConditionEnforced, false, tpv1a1.PolicyReasonOverridden,
			fmt.Sprintf("%s is overridden by %s.", p.kind, policyList(overriddenBy)), p.generation)
	default:
		return condition(tpv1a1.PolicyConditionEnforced, false, tpv1a1.PolicyReasonUnknown,
			fmt.Sprintf("%s applies to no route that is served: %s.", p.kind, p.target.describeUnserved()), p.generation)
	}
}

// gatewayKeys are the Gateways of the policy's ancestors.
func (p *policyState) gatewayKeys() []types.NamespacedName {
	keys := make([]types.NamespacedName, 0, len(p.target.ancestors))
	for _, ref := range p.target.ancestors {
		keys = append(keys, types.NamespacedName{Namespace: string(*ref.Namespace), Name: string(ref.Name)})
	}
	return keys
}

// describeUnserved says where a policy that applies to nothing would have applied.
func (t policyTarget) describeUnserved() string {
	switch t.level {
	case levelGateway:
		return fmt.Sprintf("Gateway %s has no route attached to a served listener", t.gateway)
	case levelListener:
		return fmt.Sprintf("listener %q of Gateway %s is not served or has no route attached", t.listener, t.gateway)
	case levelRoute:
		return fmt.Sprintf("HTTPRoute %s is not attached to a served listener", t.route)
	default:
		return fmt.Sprintf("rule %q of HTTPRoute %s is not valid or the route is not attached to a served listener", t.rule, t.route)
	}
}

// policyList formats policies the way Kuadrant does: "[ns/a ns/b]".
func policyList(set map[types.NamespacedName]bool) string {
	keys := slices.SortedFunc(maps.Keys(set), compareNamespacedName)
	names := make([]string, len(keys))
	for i, key := range keys {
		names[i] = key.String()
	}
	return "[" + strings.Join(names, " ") + "]"
}

// ruleList names rules in a sentence: `limit "a" is` or `limits "a", "b" are`.
func ruleList(noun string, names []string) string {
	if len(names) == 1 {
		return fmt.Sprintf("%s %q is", noun, names[0])
	}
	return noun + "s " + quotedList(names) + " are"
}
