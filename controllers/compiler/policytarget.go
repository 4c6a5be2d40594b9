package compiler

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// policyState is what every policy kind shares in the compiler: who it is, what it
// targets, whether it is accepted, and what it did on which Gateway. The kind's own
// state embeds it; status (policystatus.go) is built from it alone.
type policyState struct {
	kind       string // "RateLimitPolicy", for messages
	ruleNoun   string // what its rules are called in messages: "limit", "rule"
	key        types.NamespacedName
	generation int64
	created    metav1.Time

	target policyTarget
	// rejectReason and rejectMessage are set when the policy is not Accepted; it then
	// contributes nothing to the snapshot.
	rejectReason  gwapiv1.PolicyConditionReason
	rejectMessage string
	// warnings are sentences added to the Accepted message of an accepted policy:
	// what works, but maybe not as the user meant.
	warnings []string

	// served records, per Gateway, what the policy did on the routes whose policy
	// chain it is in; filled while effective rules are computed.
	served map[types.NamespacedName]*policyOnGateway
}

func newPolicyState(kind string, meta metav1.Object) policyState {
	return policyState{
		kind:       kind,
		ruleNoun:   "limit",
		key:        types.NamespacedName{Namespace: meta.GetNamespace(), Name: meta.GetName()},
		generation: meta.GetGeneration(),
		created:    meta.GetCreationTimestamp(),
		served:     map[types.NamespacedName]*policyOnGateway{},
	}
}

func (p *policyState) accepted() bool { return p.rejectReason == "" }

// reject keeps the first reason: the one a user must fix first.
func (p *policyState) reject(reason gwapiv1.PolicyConditionReason, message string) {
	if p.rejectReason == "" {
		p.rejectReason, p.rejectMessage = reason, sentence(message)
	}
}

// onGateway returns the record of what the policy did on a Gateway, creating it.
func (p *policyState) onGateway(gw types.NamespacedName) *policyOnGateway {
	record := p.served[gw]
	if record == nil {
		record = &policyOnGateway{
			sockets:          map[string]bool{},
			overriddenBy:     map[types.NamespacedName]bool{},
			overriddenLimits: map[string]bool{},
			notes:            map[string]bool{},
		}
		p.served[gw] = record
	}
	return record
}

// policyOnGateway is what a policy did on the served routes of one Gateway.
type policyOnGateway struct {
	// sockets are the snapshot.Listener Keys where at least one of its rules is in force.
	sockets map[string]bool
	// overriddenBy are the policies in force instead of its overridden rules.
	overriddenBy map[types.NamespacedName]bool
	// overriddenLimits name the rules overridden on at least one route.
	overriddenLimits map[string]bool
	// notes are sentences added to the Enforced message: where a rule in force
	// cannot work as written.
	notes map[string]bool
}

// policyLevel is where a target sits in the Gateway API hierarchy, least specific
// first: a policy on a lower level is more specific.
type policyLevel int

const (
	levelGateway policyLevel = iota
	levelListener
	levelRoute
	levelRule
)

// policyTarget is a resolved spec.targetRef.
type policyTarget struct {
	level policyLevel
	// gateway and listener are set for levelGateway and levelListener.
	gateway  types.NamespacedName
	listener gwapiv1.SectionName
	// route and rule are set for levelRoute and levelRule.
	route types.NamespacedName
	rule  gwapiv1.SectionName
	// ancestors are the Turnpike Gateways the target belongs to, for the Gateway
	// API's ancestor status.
	ancestors []gwapiv1.ParentReference
	// invalid, when set, says why the reference itself is wrong (Invalid); notFound
	// says why the object it names cannot be used (TargetNotFound).
	invalid  string
	notFound string
}

// policyTargetIndex holds every Gateway and HTTPRoute of the input by name, ours or
// not, so that a missing target can be told from someone else's.
type policyTargetIndex struct {
	gateways map[types.NamespacedName]*gwapiv1.Gateway
	routes   map[types.NamespacedName]*gwapiv1.HTTPRoute
}

func newPolicyTargetIndex(in Input) *policyTargetIndex {
	ix := &policyTargetIndex{
		gateways: make(map[types.NamespacedName]*gwapiv1.Gateway, len(in.Gateways)),
		routes:   make(map[types.NamespacedName]*gwapiv1.HTTPRoute, len(in.HTTPRoutes)),
	}
	for _, gw := range in.Gateways {
		if gw != nil {
			ix.gateways[types.NamespacedName{Namespace: gw.Namespace, Name: gw.Name}] = gw
		}
	}
	for _, route := range in.HTTPRoutes {
		if route != nil {
			ix.routes[types.NamespacedName{Namespace: route.Namespace, Name: route.Name}] = route
		}
	}
	return ix
}

// resolvePolicyTarget finds what a policy in namespace targets: a Gateway of ours
// (or one of its listeners), or an HTTPRoute with a parentRef to one of ours (or one
// of its named rules). Policies only target objects in their own namespace.
func (c *compiler) resolvePolicyTarget(ix *policyTargetIndex, namespace string, ref gwapiv1.LocalPolicyTargetReferenceWithSectionName) policyTarget {
	key := types.NamespacedName{Namespace: namespace, Name: string(ref.Name)}
	if ref.Group != gwapiv1.GroupName {
		return policyTarget{invalid: fmt.Sprintf("spec.targetRef.group: %q is not supported; only %s is", ref.Group, gwapiv1.GroupName)}
	}
	switch ref.Kind {
	case "Gateway":
		return c.resolveGatewayTarget(ix, key, ref.SectionName)
	case kindHTTPRoute:
		return c.resolveRouteTarget(ix, key, ref.SectionName)
	default:
		return policyTarget{invalid: fmt.Sprintf("spec.targetRef.kind: %q is not supported; only Gateway and HTTPRoute are", ref.Kind)}
	}
}

func (c *compiler) resolveGatewayTarget(ix *policyTargetIndex, key types.NamespacedName, section *gwapiv1.SectionName) policyTarget {
	gw := c.gatewaysByKey[key]
	switch {
	case gw == nil && ix.gateways[key] == nil:
		return policyTarget{notFound: fmt.Sprintf("Gateway %s does not exist", key)}
	case gw == nil:
		return policyTarget{notFound: fmt.Sprintf("Gateway %s does not belong to a GatewayClass that Turnpike serves", key)}
	}
	target := policyTarget{level: levelGateway, gateway: key, ancestors: []gwapiv1.ParentReference{gatewayAncestor(key, section)}}
	if section == nil {
		return target
	}
	for _, l := range gw.listeners {
		if l.spec.Name == *section {
			target.level, target.listener = levelListener, *section
			return target
		}
	}
	return policyTarget{notFound: fmt.Sprintf("Gateway %s has no listener named %q", key, *section)}
}

func (c *compiler) resolveRouteTarget(ix *policyTargetIndex, key types.NamespacedName, section *gwapiv1.SectionName) policyTarget {
	route := ix.routes[key]
	if route == nil {
		return policyTarget{notFound: fmt.Sprintf("HTTPRoute %s does not exist", key)}
	}
	target := policyTarget{level: levelRoute, route: key}
	seen := map[types.NamespacedName]bool{}
	for _, ref := range route.Spec.ParentRefs {
		if gw := c.parentGateway(ref, route.Namespace); gw != nil && !seen[gw.key] {
			seen[gw.key] = true
			target.ancestors = append(target.ancestors, gatewayAncestor(gw.key, nil))
		}
	}
	if len(target.ancestors) == 0 {
		return policyTarget{notFound: fmt.Sprintf("HTTPRoute %s has no parentRef to a Gateway that Turnpike serves", key)}
	}
	if section == nil {
		return target
	}
	for _, rule := range route.Spec.Rules {
		if rule.Name != nil && *rule.Name == *section {
			target.level, target.rule = levelRule, *section
			return target
		}
	}
	return policyTarget{notFound: fmt.Sprintf("HTTPRoute %s has no rule named %q", key, *section)}
}

// gatewayAncestor is a Gateway as a policy's ancestorRef: group and kind spelled
// out, as the API server would default them.
func gatewayAncestor(key types.NamespacedName, section *gwapiv1.SectionName) gwapiv1.ParentReference {
	ref := gwapiv1.ParentReference{
		Group:     ptrTo(gwapiv1.Group(gwapiv1.GroupName)),
		Kind:      ptrTo(gwapiv1.Kind("Gateway")),
		Namespace: ptrTo(gwapiv1.Namespace(key.Namespace)),
		Name:      gwapiv1.ObjectName(key.Name),
	}
	if section != nil {
		ref.SectionName = ptrTo(*section)
	}
	return ref
}
