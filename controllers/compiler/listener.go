package compiler

import (
	"crypto/tls"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

const kindHTTPRoute gwapiv1.Kind = "HTTPRoute"

// listenerState is one Gateway listener as the compiler sees it.
type listenerState struct {
	gateway  *gatewayState
	spec     *gwapiv1.Listener
	hostname string // lower case; "" for any

	// rejectReason is set when the listener is not Accepted; rejectMessage says why.
	rejectReason  gwapiv1.ListenerConditionReason
	rejectMessage string
	// conflictReason is set when the listener is Conflicted.
	conflictReason  gwapiv1.ListenerConditionReason
	conflictMessage string

	// certificates are the usable certificates of an HTTPS listener, in
	// certificateRefs order, and certificateSecrets ("namespace/name", sorted) the
	// Secrets they come from. certRefsReason and certRefsMessage say why some
	// certificateRefs could not be used (see resolveCertificates).
	certificates       []*tls.Certificate
	certificateSecrets []string
	certRefsReason     gwapiv1.ListenerConditionReason
	certRefsMessage    string

	supportedKinds []gwapiv1.RouteGroupKind
	invalidKinds   []string // allowedRoutes.kinds entries Turnpike cannot serve

	namespacesFrom     gwapiv1.FromNamespaces
	namespacesSelector labels.Selector

	// socketKey and served are set when the listener is in the snapshot.
	socketKey string
	served    *snapshot.GatewayListener

	// attached are the Accepted routes with at least one hostname on this listener;
	// virtualHosts their matches by effective hostname.
	attached     map[types.NamespacedName]bool
	virtualHosts map[string][]*compiledMatch
}

func (l *listenerState) accepted() bool { return l.rejectReason == "" && l.conflictReason == "" }

func newListenerState(gw *gatewayState, spec *gwapiv1.Listener) *listenerState {
	l := &listenerState{
		gateway:      gw,
		spec:         spec,
		attached:     map[types.NamespacedName]bool{},
		virtualHosts: map[string][]*compiledMatch{},
	}
	if spec.Hostname != nil {
		l.hostname = strings.ToLower(string(*spec.Hostname))
	}
	switch spec.Protocol {
	case gwapiv1.HTTPProtocolType:
		if spec.TLS != nil {
			l.reject(gwapiv1.ListenerReasonUnsupportedValue, "tls must not be set on an HTTP listener.")
		}
	case gwapiv1.HTTPSProtocolType:
		l.validateTLS()
	case gwapiv1.TLSProtocolType:
		l.reject(gwapiv1.ListenerReasonUnsupportedProtocol,
			"Protocol TLS (TLSRoute) is not supported yet; Turnpike serves HTTP and HTTPS listeners. To terminate TLS and route HTTP requests, use protocol HTTPS.")
		return l // an unsupported listener supports no route kinds
	default:
		l.reject(gwapiv1.ListenerReasonUnsupportedProtocol,
			fmt.Sprintf("Protocol %s is not supported yet; Turnpike serves HTTP and HTTPS listeners only.", spec.Protocol))
		return l
	}
	l.resolveKinds()
	l.resolveNamespaces()
	return l
}

func (l *listenerState) reject(reason gwapiv1.ListenerConditionReason, message string) {
	if l.rejectReason == "" {
		l.rejectReason, l.rejectMessage = reason, message
	}
}

func (l *listenerState) conflict(reason gwapiv1.ListenerConditionReason, message string) {
	if l.conflictReason == "" {
		l.conflictReason, l.conflictMessage = reason, message
	}
}

// resolveKinds fills supportedKinds from allowedRoutes.kinds (HTTPRoute when empty).
func (l *listenerState) resolveKinds() {
	httpRoute := gwapiv1.RouteGroupKind{Group: ptrTo(gwapiv1.Group(gwapiv1.GroupName)), Kind: kindHTTPRoute}
	if l.spec.AllowedRoutes == nil || len(l.spec.AllowedRoutes.Kinds) == 0 {
		l.supportedKinds = []gwapiv1.RouteGroupKind{httpRoute}
		return
	}
	l.supportedKinds = []gwapiv1.RouteGroupKind{}
	for _, kind := range l.spec.AllowedRoutes.Kinds {
		group := gwapiv1.Group(gwapiv1.GroupName)
		if kind.Group != nil {
			group = *kind.Group
		}
		if group == gwapiv1.GroupName && kind.Kind == kindHTTPRoute {
			if len(l.supportedKinds) == 0 {
				l.supportedKinds = append(l.supportedKinds, httpRoute)
			}
			continue
		}
		l.invalidKinds = append(l.invalidKinds, fmt.Sprintf("%s/%s", group, kind.Kind))
	}
}

func (l *listenerState) resolveNamespaces() {
	l.namespacesFrom = gwapiv1.NamespacesFromSame
	if l.spec.AllowedRoutes == nil || l.spec.AllowedRoutes.Namespaces == nil {
		return
	}
	namespaces := l.spec.AllowedRoutes.Namespaces
	if namespaces.From != nil {
		l.namespacesFrom = *namespaces.From
	}
	switch l.namespacesFrom {
	case gwapiv1.NamespacesFromSame, gwapiv1.NamespacesFromAll, gwapiv1.NamespacesFromNone:
	case gwapiv1.NamespacesFromSelector:
		if namespaces.Selector == nil {
			l.reject(gwapiv1.ListenerReasonUnsupportedValue,
				"allowedRoutes.namespaces.selector must be set when from is Selector.")
			return
		}
		selector, err := metav1.LabelSelectorAsSelector(namespaces.Selector)
		if err != nil {
			l.reject(gwapiv1.ListenerReasonUnsupportedValue,
				fmt.Sprintf("allowedRoutes.namespaces.selector is invalid: %v.", err))
			return
		}
		l.namespacesSelector = selector
	default:
		l.reject(gwapiv1.ListenerReasonUnsupportedValue,
			fmt.Sprintf("allowedRoutes.namespaces.from %q is not supported.", l.namespacesFrom))
	}
}

// allowsNamespace says whether routes in namespace may attach, and if not, why.
func (l *listenerState) allowsNamespace(ix *index, namespace string) (bool, string) {
	switch l.namespacesFrom {
	case gwapiv1.NamespacesFromAll:
		return true, ""
	case gwapiv1.NamespacesFromSame:
		if namespace == l.gateway.key.Namespace {
			return true, ""
		}
		return false, fmt.Sprintf("listener %q allows routes from namespace %q only", l.spec.Name, l.gateway.key.Namespace)
	case gwapiv1.NamespacesFromSelector:
		if l.namespacesSelector.Matches(namespaceLabels(ix.namespaces[namespace], namespace)) {
			return true, ""
		}
		return false, fmt.Sprintf("listener %q allows routes from namespaces matching %q, and namespace %q does not",
			l.spec.Name, l.namespacesSelector.String(), namespace)
	default:
		return false, fmt.Sprintf("listener %q allows no routes", l.spec.Name)
	}
}

// namespaceLabels are a namespace's labels for allowedRoutes selectors, including the
// kubernetes.io/metadata.name label the API server puts on every namespace, so that
// selectors on it also work for objects read from files, where the Namespace itself
// may be missing.
func namespaceLabels(ns *corev1.Namespace, name string) labels.Set {
	set := labels.Set{corev1.LabelMetadataName: name}
	if ns != nil {
		for key, value := range ns.Labels {
			set[key] = value
		}
		set[corev1.LabelMetadataName] = name
	}
	return set
}

// detectConflicts marks listeners of one Gateway that cannot be told apart. The API
// forbids picking a winner, so every listener of a conflicting set is Conflicted.
// Only the HTTP family is compared: TCP and UDP are not supported, and the API
// exempts unsupported TCP listeners from the port rule.
func detectConflicts(listeners []*listenerState) {
	for i, a := range listeners {
		for j, b := range listeners {
			if i == j || a.spec.Port != b.spec.Port || !httpFamily(a.spec.Protocol) || !httpFamily(b.spec.Protocol) {
				continue
			}
			switch {
			case a.spec.Protocol != b.spec.Protocol:
				a.conflict(gwapiv1.ListenerReasonProtocolConflict,
					fmt.Sprintf("Listener %q also uses port %d, with protocol %s.", b.spec.Name, b.spec.Port, b.spec.Protocol))
			case a.hostname == b.hostname:
				a.conflict(gwapiv1.ListenerReasonHostnameConflict,
					fmt.Sprintf("Listener %q also uses port %d and protocol %s with the same hostname.", b.spec.Name, b.spec.Port, b.spec.Protocol))
			}
		}
	}
}

func httpFamily(protocol gwapiv1.ProtocolType) bool {
	switch protocol {
	case gwapiv1.HTTPProtocolType, gwapiv1.HTTPSProtocolType, gwapiv1.TLSProtocolType:
		return true
	}
	return false
}

// status builds the listener's status.
func (l *listenerState) status() gwapiv1.ListenerStatus {
	generation := l.gateway.obj.Generation
	var conditions []metav1.Condition

	switch {
	case l.rejectReason != "":
		conditions = append(conditions, condition(gwapiv1.ListenerConditionAccepted, false, l.rejectReason, l.rejectMessage, generation))
	case l.conflictReason != "":
		// The conformance suite expects reason Invalid for a conflicted listener.
		conditions = append(conditions, condition(gwapiv1.ListenerConditionAccepted, false, gwapiv1.ListenerReasonInvalid,
			"The listener conflicts with another listener: "+l.conflictMessage, generation))
	default:
		conditions = append(conditions, condition(gwapiv1.ListenerConditionAccepted, true, gwapiv1.ListenerReasonAccepted,
			"The listener is accepted.", generation))
	}

	if l.served != nil {
		conditions = append(conditions, condition(gwapiv1.ListenerConditionProgrammed, true, gwapiv1.ListenerReasonProgrammed,
			"The listener is served on "+l.socketKey+".", generation))
	} else {
		conditions = append(conditions, condition(gwapiv1.ListenerConditionProgrammed, false, gwapiv1.ListenerReasonInvalid,
			l.notServedMessage(), generation))
	}

	conditions = append(conditions, l.resolvedRefs(generation))

	if l.conflictReason != "" {
		conditions = append(conditions, condition(gwapiv1.ListenerConditionConflicted, true, l.conflictReason, l.conflictMessage, generation))
	} else {
		conditions = append(conditions, condition(gwapiv1.ListenerConditionConflicted, false, gwapiv1.ListenerReasonNoConflicts,
			"The listener has no conflicts.", generation))
	}

	supportedKinds := l.supportedKinds
	if supportedKinds == nil {
		supportedKinds = []gwapiv1.RouteGroupKind{}
	}
	return gwapiv1.ListenerStatus{
		Name:           l.spec.Name,
		SupportedKinds: supportedKinds,
		AttachedRoutes: int32(len(l.attached)),
		Conditions:     conditions,
	}
}

// resolvedRefs is the ResolvedRefs condition: route kinds Turnpike cannot serve
// first (no route attaches then), then certificateRefs that cannot be used.
func (l *listenerState) resolvedRefs(generation int64) metav1.Condition {
	var kindsMessage string
	if len(l.invalidKinds) > 0 {
		kindsMessage = fmt.Sprintf("allowedRoutes.kinds has kinds Turnpike does not support: %s; only gateway.networking.k8s.io/HTTPRoute is supported, and no route attaches until the others are removed.",
			strings.Join(l.invalidKinds, ", "))
	}
	switch {
	case kindsMessage != "" && l.certRefsReason != "":
		return condition(gwapiv1.ListenerConditionResolvedRefs, false, gwapiv1.ListenerReasonInvalidRouteKinds,
			kindsMessage+" "+l.certRefsMessage, generation)
	case kindsMessage != "":
		return condition(gwapiv1.ListenerConditionResolvedRefs, false, gwapiv1.ListenerReasonInvalidRouteKinds, kindsMessage, generation)
	case l.certRefsReason != "":
		return condition(gwapiv1.ListenerConditionResolvedRefs, false, l.certRefsReason, l.certRefsMessage, generation)
	}
	return condition(gwapiv1.ListenerConditionResolvedRefs, true, gwapiv1.ListenerReasonResolvedRefs,
		"All references are resolved.", generation)
}

func (l *listenerState) notServedMessage() string {
	switch {
	case l.gateway.rejectReason != "":
		return "The Gateway is not accepted: " + l.gateway.rejectMessage
	case l.gateway.bindErr != nil && l.gateway.bindErr.Reason == gwapiv1.GatewayReasonAddressNotUsable:
		return "The Gateway's address cannot be used: " + l.gateway.bindErr.Message
	case l.gateway.bindErr != nil:
		// No address yet (AddressNotAssigned), or no port for it (NoResources).
		return "The Gateway is not Programmed: " + l.gateway.bindErr.Message
	case l.rejectReason != "":
		return "The listener is not accepted: " + l.rejectMessage
	case l.conflictReason != "":
		return "The listener conflicts with another listener: " + l.conflictMessage
	default:
		return "The listener has no usable TLS certificate; see the ResolvedRefs condition."
	}
}

func ptrTo[T any](v T) *T { return &v }
