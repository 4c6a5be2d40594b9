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

// enforcement is what a policy has in force, for its Enforced condition.
type enforcement struct {
	// subject names what is in force in the messages: the kind ("AuthPolicy"),
	// or the last valid version of a policy that is now Invalid.
	subject string
	// failClosed is set when what is in force is a rule that refuses every
	// request (an Invalid AuthPolicy with no valid version): that is never
	// Enforced, and its sockets are not reported.
	failClosed bool
}

// result builds a policy's status: Accepted, and while accepted, Enforced, both at
// the top level (Kuadrant's conditions) and per Gateway (the Gateway API's
// ancestors). Enforced=True means the policy is in a snapshot; the status writer
// only writes reports whose snapshot is live, and ApplyPublishResult takes it back
// where the sockets could not be bound.
func (p *policyState) result(controllerName gwapiv1.GatewayController) *PolicyResult {
	var own *enforcement
	if p.accepted() {
		own = &enforcement{subject: p.kind}
	}
	return p.resultWith(controllerName, own)
}

// resultWith builds a policy's status with what it has in force, nil for nothing
// (then there is no Enforced condition). A rejected policy may have something in
// force: an Invalid AuthPolicy stands in for itself (authpolicy_invalid.go).
func (p *policyState) resultWith(controllerName gwapiv1.GatewayController, inForce *enforcement) *PolicyResult {
	res := &PolicyResult{Generation: p.generation}
	accepted := p.acceptedCondition()
	res.Conditions = []metav1.Condition{accepted}
	if inForce != nil {
		res.Conditions = append(res.Conditions, p.enforcedCondition(inForce, p.gatewayKeys()))
	}
	ancestors := p.target.ancestors
	if len(ancestors) > maxPolicyAncestors {
		ancestors = ancestors[:maxPolicyAncestors] // sorted: the same ones every time
	}
	for _, ref := range ancestors {
		conditions := []metav1.Condition{accepted}
		if inForce != nil {
			gw := types.NamespacedName{Namespace: string(*ref.Namespace), Name: string(ref.Name)}
			conditions = append(conditions, p.enforcedCondition(inForce, []types.NamespacedName{gw}))
		}
		res.Ancestors = append(res.Ancestors, gwapiv1.PolicyAncestorStatus{
			AncestorRef:    *ref.DeepCopy(),
			ControllerName: controllerName,
			Conditions:     conditions,
		})
	}
	if inForce == nil || inForce.failClosed {
		return res
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
func (p *policyState) enforcedCondition(inForce *enforcement, gateways []types.NamespacedName) metav1.Condition {
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
	if inForce.failClosed {
		return p.failingClosedCondition(enforced, overriddenBy)
	}
	var noted string
	for _, note := range sortedKeys(notes) {
		noted += " " + sentence(note)
	}
	subject := inForce.subject
	switch {
	case enforced && len(overriddenLimits) == 0:
		return condition(tpv1a1.PolicyConditionEnforced, true, tpv1a1.PolicyReasonEnforced,
			fmt.Sprintf("%s is enforced.", subject)+noted, p.generation)
	case enforced:
		return condition(tpv1a1.PolicyConditionEnforced, true, tpv1a1.PolicyReasonEnforced,
			fmt.Sprintf("%s is partially enforced: on some routes, %s overridden by %s.",
				subject, ruleList(p.ruleNoun, slices.Sorted(maps.Keys(overriddenLimits))), policyList(overriddenBy))+noted, p.generation)
	case len(overriddenBy) > 0:
		return condition(tpv1a1.PolicyConditionEnforced, false, tpv1a1.PolicyReasonOverridden,
			fmt.Sprintf("%s is overridden by %s.", subject, policyList(overriddenBy)), p.generation)
	default:
		return condition(tpv1a1.PolicyConditionEnforced, false, tpv1a1.PolicyReasonUnknown,
			fmt.Sprintf("%s applies to no route that is served: %s.", subject, p.target.describeUnserved()), p.generation)
	}
}

// failingClosedCondition is the Enforced condition of a policy whose only rule
// refuses every request: never True, since none of what the user wrote is in
// force, but it says whether routes answer 500 because of it.
func (p *policyState) failingClosedCondition(inForce bool, overriddenBy map[types.NamespacedName]bool) metav1.Condition {
	switch {
	case inForce:
		return condition(tpv1a1.PolicyConditionEnforced, false, gwapiv1.PolicyReasonInvalid,
			fmt.Sprintf("%s is not enforced because it is invalid; the routes where it applies answer every request with 500 until it is fixed.", p.kind), p.generation)
	case len(overriddenBy) > 0:
		return condition(tpv1a1.PolicyConditionEnforced, false, tpv1a1.PolicyReasonOverridden,
			fmt.Sprintf("%s is not enforced because it is invalid, and it is overridden by %s on every route it applies to.", p.kind, policyList(overriddenBy)), p.generation)
	default:
		return condition(tpv1a1.PolicyConditionEnforced, false, tpv1a1.PolicyReasonUnknown,
			fmt.Sprintf("%s is not enforced because it is invalid, and it applies to no route that is served: %s.", p.kind, p.target.describeUnserved()), p.generation)
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
