package compiler

import (
	"fmt"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// assignSockets gives every servable listener its socket. Listeners of any Gateways
// that bind the same address and port share one snapshot.Listener and are told apart
// by hostname. When two Gateways claim the same hostname on one socket, the older
// Gateway keeps it and the newer one's listener is Conflicted: one Gateway appearing
// must never take traffic away from another that was already serving.
func (c *compiler) assignSockets() {
	for _, gw := range c.gateways { // oldest first
		if !gw.canServe() {
			continue
		}
		for _, l := range gw.listeners {
			if !l.accepted() {
				continue
			}
			socket := &snapshot.Listener{
				Address:  gw.binding.IP,
				Port:     c.binder.Port(gw.obj, l.spec.Port),
				Protocol: snapshot.ProtocolHTTP,
			}
			key := socket.Key()
			if existing, ok := c.sockets[key]; ok {
				socket = existing
			} else {
				c.sockets[key] = socket
			}
			if owner := c.socketHostnameOwner(socket, l.hostname); owner != nil {
				l.conflict(gwapiv1.ListenerReasonHostnameConflict, fmt.Sprintf(
					"Gateway %s listener %q already serves %s on %s.",
					owner.gateway.key, owner.spec.Name, describeListenerHostname(l.hostname), key))
				continue
			}
			l.socketKey = key
			l.served = &snapshot.GatewayListener{
				Gateway:  gw.key.String(),
				Name:     string(l.spec.Name),
				Hostname: l.hostname,
			}
			socket.GatewayListeners = append(socket.GatewayListeners, l.served)
			c.socketMembers[key] = append(c.socketMembers[key], l)
		}
	}
}

func (c *compiler) socketHostnameOwner(socket *snapshot.Listener, hostname string) *listenerState {
	for _, member := range c.socketMembers[socket.Key()] {
		if member.hostname == hostname {
			return member
		}
	}
	return nil
}

func describeListenerHostname(hostname string) string {
	if hostname == "" {
		return "any hostname"
	}
	return fmt.Sprintf("hostname %q", hostname)
}
