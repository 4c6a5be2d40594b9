package compiler

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// gatewayState is one of our Gateways as the compiler sees it.
type gatewayState struct {
	obj *gwapiv1.Gateway
	key types.NamespacedName

	// rejectReason is set when the Gateway as a whole is not Accepted for a reason of
	// its own (not its listeners'): InvalidParameters or UnsupportedAddress.
	rejectReason  gwapiv1.GatewayConditionReason
	rejectMessage string

	binding Binding
	// bindErr is an address problem that leaves the Gateway Accepted but not
	// Programmed (AddressNotUsable, AddressNotAssigned).
	bindErr *BindError

	listeners []*listenerState
}

// compileGateways collects the Gateways of our accepted classes, validates their
// listeners, loads the certificates of HTTPS listeners from secrets, and binds the
// Gateways. Gateways are kept oldest first: that order decides which Gateway keeps
// a hostname when two share a socket.
func (c *compiler) compileGateways(gateways []*gwapiv1.Gateway, secrets []*corev1.Secret) {
	certificates := newCertificateStore(secrets)
	for _, gw := range gateways {
		if gw == nil || !c.acceptedClasses[string(gw.Spec.GatewayClassName)] {
			continue
		}
		state := &gatewayState{obj: gw, key: types.NamespacedName{Namespace: gw.Namespace, Name: gw.Name}}
		for i := range gw.Spec.Listeners {
			l := newListenerState(state, &gw.Spec.Listeners[i])
			if l.spec.Protocol == gwapiv1.HTTPSProtocolType && l.rejectReason == "" {
				l.resolveCertificates(c.ix, certificates)
			}
			state.listeners = append(state.listeners, l)
		}
		detectConflicts(state.listeners)
		if infra := gw.Spec.Infrastructure; infra != nil && infra.ParametersRef != nil {
			ref := infra.ParametersRef
			state.rejectReason = gwapiv1.GatewayReasonInvalidParameters
			state.rejectMessage = fmt.Sprintf("infrastructure.parametersRef %s is not supported: Turnpike takes parameters per GatewayClass (its parametersRef), and per Gateway only spec.infrastructure labels and annotations; remove parametersRef.",
				describeGroupKindName(ref.Group, ref.Kind, nil, ref.Name))
		} else {
			binding, bindErr := c.binder.Bind(gw)
			switch {
			case bindErr == nil:
				state.binding = binding
			case bindErr.Reason == gwapiv1.GatewayReasonUnsupportedAddress:
				state.rejectReason, state.rejectMessage = bindErr.Reason, bindErr.Message
			default:
				state.bindErr = bindErr
			}
		}
		c.gateways = append(c.gateways, state)
		c.gatewaysByKey[state.key] = state
	}
	slices.SortFunc(c.gateways, func(a, b *gatewayState) int {
		return byAgeThenName(a.obj.CreationTimestamp, b.obj.CreationTimestamp, a.key, b.key)
	})
}

// canServe says whether the Gateway's listeners may be bound at all.
func (g *gatewayState) canServe() bool { return g.rejectReason == "" && g.bindErr == nil }

// result builds the Gateway's status. It runs after routes are attached, because
// listener status counts attached routes.
func (g *gatewayState) result() *GatewayResult {
	generation := g.obj.Generation
	var invalid []string
	served := 0
	result := &GatewayResult{Generation: generation}
	for _, l := range g.listeners {
		result.Listeners = append(result.Listeners, l.status())
		if !l.accepted() {
			invalid = append(invalid, fmt.Sprintf("%q", l.spec.Name))
		}
		if l.served != nil {
			served++
			if result.Sockets == nil {
				result.Sockets = map[gwapiv1.SectionName]string{}
			}
			result.Sockets[l.spec.Name] = l.socketKey
		}
	}
	acceptedListeners := len(g.listeners) - len(invalid)

	var accepted metav1.Condition
	switch {
	case g.rejectReason != "":
		accepted = condition(gwapiv1.GatewayConditionAccepted, false, g.rejectReason, g.rejectMessage, generation)
	case acceptedListeners == 0:
		accepted = condition(gwapiv1.GatewayConditionAccepted, false, gwapiv1.GatewayReasonListenersNotValid,
			fmt.Sprintf("No listener is valid (%s); see the listener conditions.", strings.Join(invalid, ", ")), generation)
	case len(invalid) > 0:
		accepted = condition(gwapiv1.GatewayConditionAccepted, true, gwapiv1.GatewayReasonListenersNotValid,
			fmt.Sprintf("%s not valid and not served; the other listeners are. See the listener conditions.",
				listenerList(invalid)), generation)
	default:
		accepted = condition(gwapiv1.GatewayConditionAccepted, true, gwapiv1.GatewayReasonAccepted,
			"The Gateway is accepted.", generation)
	}

	var programmed metav1.Condition
	switch {
	case g.rejectReason != "" || acceptedListeners == 0:
		programmed = condition(gwapiv1.GatewayConditionProgrammed, false, gwapiv1.GatewayReasonInvalid,
			"The Gateway is not accepted, so nothing is served.", generation)
	case g.bindErr != nil:
		programmed = condition(gwapiv1.GatewayConditionProgrammed, false, g.bindErr.Reason, g.bindErr.Message, generation)
	case served == 0:
		// Every accepted listener is HTTPS without a usable certificate.
		programmed = condition(gwapiv1.GatewayConditionProgrammed, false, gwapiv1.GatewayReasonInvalid,
			"No listener is served; see the listener conditions.", generation)
	default:
		programmed = condition(gwapiv1.GatewayConditionProgrammed, true, gwapiv1.GatewayReasonProgrammed,
			fmt.Sprintf("%d of %d listeners are served.", served, len(g.listeners)), generation)
		result.Addresses = slices.Clone(g.binding.Addresses)
	}
	result.Conditions = []metav1.Condition{accepted, programmed}
	return result
}

// listenerList names quoted listener names in a sentence: `Listener "a" is` or
// `Listeners "a", "b" are`.
func listenerList(quoted []string) string {
	if len(quoted) == 1 {
		return "Listener " + quoted[0] + " is"
	}
	return "Listeners " + strings.Join(quoted, ", ") + " are"
}
