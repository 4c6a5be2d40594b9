package compiler

import (
	"cmp"
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// serviceEndpoints returns the ready endpoints behind one Service port, sorted and
// without duplicates. The Service port is found in the EndpointSlices by name (""
// for an unnamed port) and protocol; its number there is the target port. The result
// is shared by every backend of that port, so nobody may modify it.
func (ix *index) serviceEndpoints(service types.NamespacedName, port *corev1.ServicePort) []snapshot.Endpoint {
	protocol := port.Protocol
	if protocol == "" {
		protocol = corev1.ProtocolTCP
	}
	key := endpointsKey{service: service, portName: port.Name, protocol: protocol}
	if cached, ok := ix.endpoints[key]; ok {
		return cached
	}
	type endpointID struct {
		ip   netip.Addr
		port int32
	}
	seen := map[endpointID]bool{}
	var ids []endpointID
	for _, slice := range ix.endpointSlices[service] {
		if slice.AddressType != discoveryv1.AddressTypeIPv4 && slice.AddressType != discoveryv1.AddressTypeIPv6 {
			continue // FQDN slices name hosts, not addresses
		}
		targetPort, ok := slicePort(slice, key.portName, protocol)
		if !ok {
			continue
		}
		for i := range slice.Endpoints {
			endpoint := &slice.Endpoints[i]
			// Ready is nil when the producer does not know; the API says to treat
			// that as ready.
			if endpoint.Conditions.Ready != nil && !*endpoint.Conditions.Ready {
				continue
			}
			if len(endpoint.Addresses) == 0 {
				continue
			}
			// Only the first address has defined semantics (kube-proxy ignores the rest).
			ip, err := netip.ParseAddr(endpoint.Addresses[0])
			if err != nil {
				continue
			}
			id := endpointID{ip: ip.Unmap(), port: targetPort}
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	slices.SortFunc(ids, func(a, b endpointID) int {
		if c := a.ip.Compare(b.ip); c != 0 {
			return c
		}
		return cmp.Compare(a.port, b.port)
	})
	var endpoints []snapshot.Endpoint
	for _, id := range ids {
		endpoints = append(endpoints, snapshot.Endpoint{IP: id.ip.String(), Port: id.port})
	}
	ix.endpoints[key] = endpoints
	return endpoints
}

// slicePort finds the EndpointSlice port of the given name and protocol.
func slicePort(slice *discoveryv1.EndpointSlice, name string, protocol corev1.Protocol) (int32, bool) {
	for _, p := range slice.Ports {
		portName, portProtocol := "", corev1.ProtocolTCP
		if p.Name != nil {
			portName = *p.Name
		}
		if p.Protocol != nil {
			portProtocol = *p.Protocol
		}
		if portName == name && portProtocol == protocol && p.Port != nil {
			return *p.Port, true
		}
	}
	return 0, false
}
