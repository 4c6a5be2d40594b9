package compiler

import (
	"fmt"
	"net/netip"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// ListenerPortBinder binds each listener on its own port, on the Gateway's requested
// IP address (the first IPAddress in spec.addresses) or on every interface. It is the
// binding of standalone mode, and of a Gateway that names its own address.
type ListenerPortBinder struct {
	// PublishAddresses are reported in status.addresses of Gateways that do not
	// request an address: IPs become IPAddress entries, anything else Hostname.
	PublishAddresses []string
}

var _ Binder = ListenerPortBinder{}

// Bind implements Binder.
func (b ListenerPortBinder) Bind(gw *gwapiv1.Gateway) (Binding, *BindError) {
	// Every address type is checked before any address is used, so that one
	// unsupported entry is reported even when an earlier IP would have worked.
	for _, address := range gw.Spec.Addresses {
		if addressType := specAddressType(address); addressType != gwapiv1.IPAddressType {
			return Binding{}, &BindError{
				Reason: gwapiv1.GatewayReasonUnsupportedAddress,
				Message: fmt.Sprintf("Address %q of type %s is not supported; Turnpike binds IPAddress addresses only.",
					address.Value, addressType),
			}
		}
	}
	for _, address := range gw.Spec.Addresses {
		if address.Value == "" {
			// An empty value asks the implementation to pick one: every interface.
			continue
		}
		ip, err := netip.ParseAddr(address.Value)
		if err != nil || ip.Zone() != "" {
			return Binding{}, &BindError{
				Reason:  gwapiv1.GatewayReasonAddressNotUsable,
				Message: fmt.Sprintf("Address %q is not a valid IP address.", address.Value),
			}
		}
		// Only the first address is bound: a Binding has one IP. Status lists only
		// what is bound, so it never claims an address that serves nothing.
		return Binding{
			IP:        ip.String(),
			Addresses: []gwapiv1.GatewayStatusAddress{statusAddress(ip.String())},
		}, nil
	}
	binding := Binding{}
	for _, published := range b.PublishAddresses {
		binding.Addresses = append(binding.Addresses, statusAddress(published))
	}
	return binding, nil
}

// Port implements Binder: the data plane binds the listener's own port.
func (ListenerPortBinder) Port(_ *gwapiv1.Gateway, listenerPort gwapiv1.PortNumber) int32 {
	return listenerPort
}

func specAddressType(address gwapiv1.GatewaySpecAddress) gwapiv1.AddressType {
	if address.Type == nil || *address.Type == "" {
		return gwapiv1.IPAddressType // the API default
	}
	return *address.Type
}

// statusAddress types a published address by parsing it.
func statusAddress(value string) gwapiv1.GatewayStatusAddress {
	addressType := gwapiv1.HostnameAddressType
	if ip, err := netip.ParseAddr(value); err == nil {
		addressType = gwapiv1.IPAddressType
		value = ip.String()
	}
	return gwapiv1.GatewayStatusAddress{Type: &addressType, Value: value}
}
