package compiler

import (
	"fmt"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// assignSockets gives every servable listener its socket. Listeners of any Gateways
// that bind the same address and port share one snapshot.Listener and are told apart
// by hostname; they must speak the same protocol (HTTP or HTTPS). When two Gateways
// claim the same hostname, or different protocols, on one socket, the older Gateway
// keeps it and the newer one's listener is Conflicted: one Gateway appearing must
// never take traffic away from another that was already serving. An HTTPS listener
// without a usable certificate gets no socket.
func (c *compiler) assignSockets() {
	for _, gw := range c.gateways { // oldest first
		if !gw.canServe() {
			continue
		}
		for _, l := range gw.listeners {
			if !l.accepted() || !l.hasCertificate() {
				continue
			}
			socket := &snapshot.Listener{
				Address:  gw.binding.IP,
				Port:     c.binder.Port(gw.obj, l.spec.Port),
				Protocol: l.socketProtocol(),
			}
			key := socket.Key()
			if existing, ok := c.sockets[key]; ok {
				socket = existing
			} else {
				c.sockets[key] = socket
			}
			if socket.Protocol != l.socketProtocol() {
				// One socket speaks one protocol. Within a Gateway detectConflicts
				// already caught this; here the other listener is another Gateway's.
				owner := c.socketMembers[key][0] // a socket exists once a listener claimed it
				l.conflict(gwapiv1.ListenerReasonProtocolConflict, fmt.Sprintf(
					"Gateway %s listener %q already serves %s on %s; one address and port serves one protocol.",
					owner.gateway.key, owner.spec.Name, socket.Protocol, key))
				continue
			}
			if owner := c.socketHostnameOwner(socket, l.hostname); owner != nil {
				l.conflict(gwapiv1.ListenerReasonHostnameConflict, fmt.Sprintf(
					"Gateway %s listener %q already serves %s on %s.",
					owner.gateway.key, owner.spec.Name, describeListenerHostname(l.hostname), key))
				continue
			}
			l.socketKey = key
			l.served = &snapshot.GatewayListener{
				Gateway:            gw.key.String(),
				Name:               string(l.spec.Name),
				Hostname:           l.hostname,
				Certificates:       l.certificates,
				CertificateSecrets: l.certificateSecrets,
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
