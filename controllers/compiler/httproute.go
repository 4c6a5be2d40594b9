package compiler

import (
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// routeState is one HTTPRoute compiled once, whatever the number of parents it
// attaches to: its matches are shared by every listener and virtual host it serves.
type routeState struct {
	obj       *gwapiv1.HTTPRoute
	key       types.NamespacedName
	hostnames []string // lower case, without duplicates

	matches    []*compiledMatch // of the valid rules
	validRules int
	dropped    []string // "Dropped Rule i: why." for each invalid rule

	refProblems []refProblem // unresolved backendRefs, in rule order
}

type refProblem struct {
	reason  gwapiv1.RouteConditionReason
	message string
}

// compileHTTPRoutes compiles the routes that name at least one of our Gateways and
// attaches them. Routes that name none are left alone: they may belong to another
// controller, and we must not write their status.
func (c *compiler) compileHTTPRoutes(routes []*gwapiv1.HTTPRoute) {
	for _, route := range routes {
		if route == nil {
			continue
		}
		var rs *routeState
		var parents []gwapiv1.RouteParentStatus
		for _, ref := range route.Spec.ParentRefs {
			gw := c.parentGateway(ref, route.Namespace)
			if gw == nil {
				continue
			}
			if rs == nil {
				rs = c.compileRoute(route)
			}
			parents = append(parents, c.attachToParent(rs, ref, gw))
		}
		if rs != nil {
			c.report.HTTPRoutes[rs.key] = &HTTPRouteResult{Generation: route.Generation, Parents: parents}
		}
	}
}

// parentGateway returns the Gateway a parentRef names when it is one of ours.
func (c *compiler) parentGateway(ref gwapiv1.ParentReference, routeNamespace string) *gatewayState {
	if ref.Group != nil && *ref.Group != gwapiv1.GroupName {
		return nil
	}
	if ref.Kind != nil && *ref.Kind != "Gateway" {
		return nil
	}
	namespace := routeNamespace
	if ref.Namespace != nil && *ref.Namespace != "" {
		namespace = string(*ref.Namespace)
	}
	return c.gatewaysByKey[types.NamespacedName{Namespace: namespace, Name: string(ref.Name)}]
}

func (c *compiler) compileRoute(route *gwapiv1.HTTPRoute) *routeState {
	rs := &routeState{obj: route, key: types.NamespacedName{Namespace: route.Namespace, Name: route.Name}}
	for _, hostname := range route.Spec.Hostnames {
		lower := strings.ToLower(string(hostname))
		if !containsString(rs.hostnames, lower) {
			rs.hostnames = append(rs.hostnames, lower)
		}
	}
	rules := route.Spec.Rules
	if len(rules) == 0 {
		// What the API server's default gives: one rule matching every request,
		// with no backend (so it answers 500).
		rules = []gwapiv1.HTTPRouteRule{{}}
	}
	for i := range rules {
		c.compileRule(rs, i, &rules[i])
	}
	return rs
}

// attachment is a listener a route is accepted on, with the hostnames it serves there.
type attachment struct {
	listener  *listenerState
	hostnames []string
}

// attachToParent decides whether the route is accepted by one parentRef's Gateway,
// attaches it to the listeners that take it, and returns the parent's status.
func (c *compiler) attachToParent(rs *routeState, ref gwapiv1.ParentReference, gw *gatewayState) gwapiv1.RouteParentStatus {
	generation := rs.obj.Generation
	accepted, attachments := c.acceptOnGateway(rs, ref, gw)
	if accepted.Status == metav1.ConditionTrue {
		for _, a := range attachments {
			c.attachToListener(rs, a)
		}
	}
	conditions := []metav1.Condition{accepted, rs.resolvedRefs(generation)}
	if accepted.Status == metav1.ConditionTrue && len(rs.dropped) > 0 {
		conditions = append(conditions, condition(gwapiv1.RouteConditionPartiallyInvalid, true,
			gwapiv1.RouteReasonUnsupportedValue, strings.Join(rs.dropped, " "), generation))
	}
	return gwapiv1.RouteParentStatus{
		ParentRef:      parentRefWithDefaults(ref),
		ControllerName: c.controllerName,
		Conditions:     conditions,
	}
}

func (c *compiler) acceptOnGateway(rs *routeState, ref gwapiv1.ParentReference, gw *gatewayState) (metav1.Condition, []attachment) {
	generation := rs.obj.Generation
	reject := func(reason gwapiv1.RouteConditionReason, message string) (metav1.Condition, []attachment) {
		return condition(gwapiv1.RouteConditionAccepted, false, reason, message, generation), nil
	}
	if gw.rejectReason != "" {
		return reject(gwapiv1.RouteReasonNoMatchingParent,
			fmt.Sprintf("Gateway %s is not accepted (%s); see its status.", gw.key, gw.rejectReason))
	}

	var selected []*listenerState
	for _, l := range gw.listeners {
		if (ref.SectionName == nil || *ref.SectionName == l.spec.Name) && (ref.Port == nil || *ref.Port == l.spec.Port) {
			selected = append(selected, l)
		}
	}
	if len(selected) == 0 {
		return reject(gwapiv1.RouteReasonNoMatchingParent,
			fmt.Sprintf("Gateway %s has no listener%s.", gw.key, describeSection(ref)))
	}

	var admitting []*listenerState
	var refusals []string
	for _, l := range selected {
		if ok, why := l.admits(c.ix, rs.key.Namespace); ok {
			admitting = append(admitting, l)
		} else {
			refusals = append(refusals, why)
		}
	}
	if len(admitting) == 0 {
		return reject(gwapiv1.RouteReasonNotAllowedByListeners,
			fmt.Sprintf("No listener of Gateway %s allows this route: %s.", gw.key, strings.Join(refusals, "; ")))
	}

	var attachments []attachment
	var listenerHostnames []string
	for _, l := range admitting {
		if hostnames := intersectHostnames(l.hostname, rs.hostnames); len(hostnames) > 0 {
			attachments = append(attachments, attachment{listener: l, hostnames: hostnames})
		}
		listenerHostnames = append(listenerHostnames, fmt.Sprintf("listener %q: %s", l.spec.Name, describeListenerHostname(l.hostname)))
	}
	if len(attachments) == 0 {
		return reject(gwapiv1.RouteReasonNoMatchingListenerHostname,
			fmt.Sprintf("No hostname of the route (%s) matches a listener of Gateway %s that allows it (%s).",
				quotedList(rs.hostnames), gw.key, strings.Join(listenerHostnames, "; ")))
	}

	if rs.validRules == 0 {
		return reject(gwapiv1.RouteReasonUnsupportedValue, "No rule is valid. "+strings.Join(rs.dropped, " "))
	}
	return condition(gwapiv1.RouteConditionAccepted, true, gwapiv1.RouteReasonAccepted,
		"The route is accepted by Gateway "+gw.key.String()+".", generation), attachments
}

// admits says whether a route from namespace may attach to the listener, and if not,
// why. A listener whose allowedRoutes.kinds has an entry Turnpike cannot serve admits
// no route, even when HTTPRoute is listed too: the conformance suite
// (GatewayInvalidRouteKind) expects zero attached routes there.
func (l *listenerState) admits(ix *index, namespace string) (bool, string) {
	switch {
	case !l.accepted():
		return false, fmt.Sprintf("listener %q is not accepted", l.spec.Name)
	case len(l.invalidKinds) > 0:
		return false, fmt.Sprintf("listener %q has allowedRoutes.kinds that Turnpike does not support", l.spec.Name)
	case len(l.supportedKinds) == 0:
		return false, fmt.Sprintf("listener %q does not allow HTTPRoutes", l.spec.Name)
	}
	return l.allowsNamespace(ix, namespace)
}

// attachToListener counts the route on the listener and, when the listener is served,
// adds the route's matches to the virtual host of each hostname it serves there. A
// route that reaches the same listener through two parentRefs is added once.
func (c *compiler) attachToListener(rs *routeState, a attachment) {
	l := a.listener
	if l.attached[rs.key] {
		return
	}
	l.attached[rs.key] = true
	if l.served == nil {
		return
	}
	for _, hostname := range a.hostnames {
		l.virtualHosts[hostname] = append(l.virtualHosts[hostname], rs.matches...)
	}
}

func (rs *routeState) resolvedRefs(generation int64) metav1.Condition {
	if len(rs.refProblems) == 0 {
		return condition(gwapiv1.RouteConditionResolvedRefs, true, gwapiv1.RouteReasonResolvedRefs,
			"All references are resolved.", generation)
	}
	messages := make([]string, 0, len(rs.refProblems))
	for _, p := range rs.refProblems {
		messages = append(messages, p.message)
	}
	return condition(gwapiv1.RouteConditionResolvedRefs, false, rs.refProblems[0].reason,
		strings.Join(messages, " "), generation)
}

func (rs *routeState) addRefProblem(reason gwapiv1.RouteConditionReason, message string) {
	if !slices.ContainsFunc(rs.refProblems, func(p refProblem) bool { return p.message == message }) {
		rs.refProblems = append(rs.refProblems, refProblem{reason: reason, message: message})
	}
}

// parentRefWithDefaults is the parentRef as the status should echo it: as written,
// with the API defaults for group and kind filled in (objects read from files have
// not been through the API server's defaulting).
func parentRefWithDefaults(ref gwapiv1.ParentReference) gwapiv1.ParentReference {
	out := *ref.DeepCopy()
	if out.Group == nil {
		out.Group = ptrTo(gwapiv1.Group(gwapiv1.GroupName))
	}
	if out.Kind == nil {
		out.Kind = ptrTo(gwapiv1.Kind("Gateway"))
	}
	return out
}

func describeSection(ref gwapiv1.ParentReference) string {
	var parts []string
	if ref.SectionName != nil {
		parts = append(parts, fmt.Sprintf(" named %q", *ref.SectionName))
	}
	if ref.Port != nil {
		parts = append(parts, fmt.Sprintf(" on port %d", *ref.Port))
	}
	return strings.Join(parts, "")
}

// quotedList formats names for a message: "a", "b".
func quotedList(names []string) string {
	quoted := make([]string, len(names))
	for i, name := range names {
		quoted[i] = fmt.Sprintf("%q", name)
	}
	return strings.Join(quoted, ", ")
}
