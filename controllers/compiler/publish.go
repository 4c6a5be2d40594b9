package compiler

import (
	"fmt"
	"net"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// ApplyPublishResult corrects a Report after its snapshot was published: a listener
// whose socket could not be bound serves nothing, so it is not Programmed, and a
// Gateway none of whose listeners is Programmed is not Programmed either. It only
// edits r, which must come from Compile.
func ApplyPublishResult(r *Report, res snapshot.PublishResult) {
	if r == nil || len(res.BindErrors) == 0 {
		return
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
