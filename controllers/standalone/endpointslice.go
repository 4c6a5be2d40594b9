package standalone

import (
	"fmt"
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Limits of the API server (k8s.io/kubernetes pkg/apis/discovery/validation).
const (
	maxEndpointsPerSlice = 1000
	maxAddressesPerPoint = 100
	maxPortsPerSlice     = 20000
)

var supportedAddressTypes = []string{
	string(discoveryv1.AddressTypeFQDN), string(discoveryv1.AddressTypeIPv4), string(discoveryv1.AddressTypeIPv6),
}

func defaultEndpointSlice(slice *discoveryv1.EndpointSlice) {
	for i := range slice.Ports {
		port := &slice.Ports[i]
		if port.Name == nil {
			port.Name = new(string)
		}
		if port.Protocol == nil {
			tcp := corev1.ProtocolTCP
			port.Protocol = &tcp
		}
	}
}

// validateEndpointSlice checks what the API server checks, except that loopback
// and link-local addresses are allowed: standalone backends are usually local.
func validateEndpointSlice(slice *discoveryv1.EndpointSlice) field.ErrorList {
	var errs field.ErrorList
	labelPath := field.NewPath("metadata", "labels").Key(discoveryv1.LabelServiceName)
	if serviceName, ok := slice.Labels[discoveryv1.LabelServiceName]; !ok {
		errs = append(errs, field.Required(labelPath, "the label names the Service whose endpoints the slice holds"))
	} else {
		for _, msg := range content.IsDNS1123Label(serviceName) {
			errs = append(errs, field.Invalid(labelPath, serviceName, msg))
		}
	}

	typePath := field.NewPath("addressType")
	switch {
	case slice.AddressType == "":
		errs = append(errs, field.Required(typePath, ""))
	case !slices.Contains(supportedAddressTypes, string(slice.AddressType)):
		errs = append(errs, field.NotSupported(typePath, slice.AddressType, supportedAddressTypes))
	}

	errs = append(errs, validateEndpoints(slice.Endpoints, slice.AddressType, field.NewPath("endpoints"))...)
	return append(errs, validateEndpointPorts(slice.Ports, field.NewPath("ports"))...)
}

func validateEndpoints(endpoints []discoveryv1.Endpoint, addressType discoveryv1.AddressType, endpointsPath *field.Path) field.ErrorList {
	if len(endpoints) > maxEndpointsPerSlice {
		return field.ErrorList{field.TooMany(endpointsPath, len(endpoints), maxEndpointsPerSlice)}
	}
	var errs field.ErrorList
	for i, endpoint := range endpoints {
		endpointPath := endpointsPath.Index(i)
		addressesPath := endpointPath.Child("addresses")
		switch {
		case len(endpoint.Addresses) == 0:
			errs = append(errs, field.Required(addressesPath, "must contain at least 1 address"))
		case len(endpoint.Addresses) > maxAddressesPerPoint:
			errs = append(errs, field.TooMany(addressesPath, len(endpoint.Addresses), maxAddressesPerPoint))
		}
		for j, address := range endpoint.Addresses {
			errs = append(errs, validateEndpointAddress(address, addressType, addressesPath.Index(j))...)
		}
		if endpoint.Hostname != nil {
			errs = append(errs, dns1123Label(*endpoint.Hostname, endpointPath.Child("hostname"))...)
		}
		if endpoint.NodeName != nil {
			for _, msg := range content.IsDNS1123Subdomain(*endpoint.NodeName) {
				errs = append(errs, field.Invalid(endpointPath.Child("nodeName"), *endpoint.NodeName, msg))
			}
		}
	}
	return errs
}

func validateEndpointAddress(address string, addressType discoveryv1.AddressType, path *field.Path) field.ErrorList {
	if addressType == discoveryv1.AddressTypeFQDN {
		return validation.IsFullyQualifiedDomainName(path, address)
	}
	if addressType != discoveryv1.AddressTypeIPv4 && addressType != discoveryv1.AddressTypeIPv6 {
		return nil // the address type is reported on its own
	}
	if errs := validation.IsValidIP(path, address); len(errs) > 0 {
		return errs
	}
	ip := netip.MustParseAddr(address) // IsValidIP accepted it
	var errs field.ErrorList
	if addressType == discoveryv1.AddressTypeIPv4 && !ip.Is4() {
		errs = append(errs, field.Invalid(path, address, "must be an IPv4 address"))
	}
	if addressType == discoveryv1.AddressTypeIPv6 && !ip.Is6() {
		errs = append(errs, field.Invalid(path, address, "must be an IPv6 address"))
	}
	if ip.IsUnspecified() {
		errs = append(errs, field.Invalid(path, address, fmt.Sprintf("may not be unspecified (%v)", address)))
	}
	if ip.IsMulticast() {
		errs = append(errs, field.Invalid(path, address, "may not be a multicast address"))
	}
	return errs
}

func validateEndpointPorts(ports []discoveryv1.EndpointPort, portsPath *field.Path) field.ErrorList {
	if len(ports) > maxPortsPerSlice {
		return field.ErrorList{field.TooMany(portsPath, len(ports), maxPortsPerSlice)}
	}
	var errs field.ErrorList
	names := make(map[string]bool, len(ports))
	for i, port := range ports {
		portPath := portsPath.Index(i)
		name := *port.Name // defaulted
		if name != "" {
			errs = append(errs, dns1123Label(name, portPath.Child("name"))...)
		}
		if names[name] {
			errs = append(errs, field.Duplicate(portPath.Child("name"), name))
		}
		names[name] = true
		if port.Port != nil {
			for _, msg := range validation.IsValidPortNum(int(*port.Port)) {
				errs = append(errs, field.Invalid(portPath.Child("port"), *port.Port, msg))
			}
		}
		errs = append(errs, validateProtocol(*port.Protocol, portPath.Child("protocol"))...)
		if port.AppProtocol != nil {
			errs = append(errs, qualifiedName(*port.AppProtocol, portPath.Child("appProtocol"))...)
		}
	}
	return errs
}
