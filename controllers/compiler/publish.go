package compiler

import (
	"fmt"
	"net"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	tpv1a1 "github.com/turnpike-gateway/turnpike/api/v1alpha1"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// ApplyPublishResult corrects a Report after its snapshot was published: a listener
// whose socket could not be bound serves nothing, so it is not Programmed, a
// Gateway none of whose listeners is Programmed is not Programmed either, and a
// policy in force only on such sockets is not Enforced. It only edits r, which must
// come from Compile.
func ApplyPublishResult(r *Report, res snapshot.PublishResult) {
	if r == nil || len(res.BindErrors) == 0 {
		return
	}
	for _, result := range r.RateLimitPolicies {
		applyBindErrorsToPolicy(result, res.BindErrors)
	}
	for _, result := range r.AuthPolicies {
		applyBindErrorsToPolicy(result, res.BindErrors)
	}
	for _, result := range r.Gateways {
		var failed error
		var failedSocket string
		for i := range result.Listeners {
			listener := &result.Listeners[i]
			socket, ok := result.Sockets[listener.Name]
			if !ok {
				continue
			}
			bindErr, failedToBind := res.BindErrors[socket]
			if !failedToBind {
				continue
			}
			if failed == nil {
				failed, failedSocket = bindErr, socket
			}
			listener.Conditions = setCondition(listener.Conditions, condition(gwapiv1.ListenerConditionProgrammed, false,
				gwapiv1.ListenerReasonInvalid, fmt.Sprintf("Address %s cannot be bound: %v.", socket, bindErr), result.Generation))
		}
		if failed == nil {
			continue
		}
		if programmed := countProgrammed(result.Listeners); programmed > 0 {
			result.Conditions = setCondition(result.Conditions, condition(gwapiv1.GatewayConditionProgrammed, true,
				gwapiv1.GatewayReasonProgrammed, fmt.Sprintf("%d of %d listeners are served; address %s cannot be bound: %v.",
					programmed, len(result.Listeners), failedSocket, failed), result.Generation))
			continue
		}
		// A specific IP that cannot be bound is the Gateway's address being unusable;
		// on every interface, the address is fine and the port is the problem.
		reason := gwapiv1.GatewayReasonInvalid
		if host, _, err := net.SplitHostPort(failedSocket); err == nil && host != "" {
			reason = gwapiv1.GatewayReasonAddressNotUsable
		}
		result.Conditions = setCondition(result.Conditions, condition(gwapiv1.GatewayConditionProgrammed, false, reason,
			fmt.Sprintf("No listener is served: address %s cannot be bound: %v.", failedSocket, failed), result.Generation))
		result.Addresses = nil
	}
}

func countProgrammed(listeners []gwapiv1.ListenerStatus) int {
	n := 0
	for _, l := range listeners {
		if c := findCondition(l.Conditions, string(gwapiv1.ListenerConditionProgrammed)); c != nil && c.Status == metav1.ConditionTrue {
			n++
		}
	}
	return n
}

// applyBindErrorsToPolicy takes back Enforced from a policy on every Gateway where
// none of the sockets its rules are served on could be bound, and at the top level
// when that is true of every Gateway.
func applyBindErrorsToPolicy(result *PolicyResult, bindErrors map[string]error) {
	if len(result.Sockets) == 0 {
		return
	}
	anyLive := false
	var firstFailure string
	for _, gateway := range sortedKeys(result.Sockets) {
		failure, live := unboundSockets(result.Sockets[gateway], bindErrors)
		if live {
			anyLive = true
			continue
		}
		if firstFailure == "" {
			firstFailure = failure
		}
		for i := range result.Ancestors {
			ref := result.Ancestors[i].AncestorRef
			if ref.Namespace != nil && string(*ref.Namespace)+"/"+string(ref.Name) == gateway {
				takeBackEnforced(&result.Ancestors[i].Conditions, failure, result.Generation)
			}
		}
	}
	if !anyLive {
		takeBackEnforced(&result.Conditions, firstFailure, result.Generation)
	}
}

// unboundSockets reports whether any of sockets is live, and if none is, why the
// first one is not.
func unboundSockets(sockets []string, bindErrors map[string]error) (string, bool) {
	for _, socket := range sockets {
		if _, failed := bindErrors[socket]; !failed {
			return "", true
		}
	}
	return fmt.Sprintf("address %s cannot be bound: %v", sockets[0], bindErrors[sockets[0]]), false
}

func takeBackEnforced(conditions *[]metav1.Condition, failure string, generation int64) {
	c := findCondition(*conditions, string(tpv1a1.PolicyConditionEnforced))
	if c == nil || c.Status != metav1.ConditionTrue {
		return
	}
	*conditions = setCondition(*conditions, condition(tpv1a1.PolicyConditionEnforced, false, tpv1a1.PolicyReasonUnknown,
		"No listener where the policy applies is served: "+failure+".", generation))
}
