package compiler

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// InputBinder is a Binder whose choices depend on other objects of the input (the
// Services that record container ports). Compile hands it the whole input first
// and binds with the Binder that ForInput returns, so that the binding stays a pure
// function of the input.
type InputBinder interface {
	Binder
	ForInput(in Input) Binder
}

// ServiceBinder is the binding of a cluster in which the leader provisions one
// Service per Gateway (controllers/gatewayservice.go). Every listener binds a
// container port of Ports on every interface of every replica; the Gateway's
// Service maps the listener's port onto it, so Gateways that use the same listener
// port coexist on different container ports. AssignContainerPorts says how ports
// are chosen and why they never move.
//
// status.addresses comes from the Service: the load balancer's ingress IPs and
// hostnames for a LoadBalancer Service, its cluster IPs otherwise. Until there is
// one (the Service does not exist yet, or the load balancer has not answered),
// the Gateway is Programmed=False with reason AddressNotAssigned, and its
// listeners are not bound.
//
// spec.addresses: one IPAddress may be requested; it becomes the Service's
// spec.loadBalancerIP, which only a LoadBalancer Service has, and the Gateway is
// Programmed only once the load balancer really gave that address (AddressNotUsable
// until then). Other address types are UnsupportedAddress.
type ServiceBinder struct {
	// Ports is the range of container ports; DefaultPortRange when zero.
	Ports PortRange
}

var _ InputBinder = ServiceBinder{}

// serviceBinding is the Binder ForInput returns: what it learnt from one
// compile's input.
type serviceBinding struct {
	controllerName gwapiv1.GatewayController
	ports          map[types.NamespacedName]PortAssignment
	owned          map[types.NamespacedName]*corev1.Service // per-Gateway Services of ours
	all            map[types.NamespacedName]*corev1.Service
	params         map[string]ServiceParameters // by GatewayClass name
}

func (b ServiceBinder) portRange() PortRange {
	if b.Ports == (PortRange{}) {
		return DefaultPortRange
	}
	return b.Ports
}

// ForInput implements InputBinder.
func (b ServiceBinder) ForInput(in Input) Binder {
	controllerName := in.ControllerName
	if controllerName == "" {
		controllerName = ControllerName
	}
	gateways := OwnGateways(controllerName, in.GatewayClasses, in.Gateways)
	prepared := &serviceBinding{
		controllerName: controllerName,
		ports:          AssignContainerPorts(b.portRange(), controllerName, gateways, in.Services),
		owned:          ownedServices(in.Services, controllerName),
		all:            make(map[types.NamespacedName]*corev1.Service, len(in.Services)),
		params:         map[string]ServiceParameters{},
	}
	for _, svc := range in.Services {
		if svc != nil {
			prepared.all[types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name}] = svc
		}
	}
	configMaps := configMapIndex(in.ConfigMaps)
	for _, class := range in.GatewayClasses {
		if class == nil || class.Spec.ControllerName != controllerName {
			continue
		}
		if params, _, ok := classParameters(class, configMaps); ok {
			prepared.params[class.Name] = params
		}
	}
	return prepared
}

// Bind implements Binder for a ServiceBinder that was never given an input: as if
// there were no Services, every Gateway waits for one.
func (b ServiceBinder) Bind(gw *gwapiv1.Gateway) (Binding, *BindError) {
	return (&serviceBinding{}).Bind(gw)
}

// Port implements Binder for a ServiceBinder that was never given an input.
func (b ServiceBinder) Port(gw *gwapiv1.Gateway, listenerPort gwapiv1.PortNumber) int32 {
	return (&serviceBinding{}).Port(gw, listenerPort)
}

// Bind implements Binder.
func (p *serviceBinding) Bind(gw *gwapiv1.Gateway) (Binding, *BindError) {
	params, ok := p.params[string(gw.Spec.GatewayClassName)]
	if !ok {
		params = DefaultServiceParameters()
	}
	requested, bindErr := ServiceRequestedAddress(gw, params)
	if bindErr != nil {
		return Binding{}, bindErr
	}
	key := types.NamespacedName{Namespace: gw.Namespace, Name: gw.Name}
	if a := p.ports[key]; a.Err != nil {
		return Binding{}, a.Err
	}
	svcKey := gatewayServiceKey(gw)
	svc := p.owned[svcKey]
	if owner, ok := ServiceOwner(svc, p.controllerName); !ok || owner != gw.Name {
		if p.all[svcKey] != nil {
			return Binding{}, &BindError{Reason: gwapiv1.GatewayReasonAddressNotAssigned, Message: fmt.Sprintf(
				"Service %s already exists and is not this Gateway's Turnpike Service, so Turnpike leaves it alone; delete or rename that Service, or rename the Gateway.", svcKey)}
		}
		return Binding{}, &BindError{Reason: gwapiv1.GatewayReasonAddressNotAssigned, Message: fmt.Sprintf(
			"Waiting for Service %s, which the leader creates for this Gateway; the Gateway is Programmed once the Service has an address.", svcKey)}
	}
	addresses, waiting := serviceAddresses(svc)
	if len(addresses) == 0 {
		return Binding{}, &BindError{Reason: gwapiv1.GatewayReasonAddressNotAssigned, Message: waiting}
	}
	if requested != "" && !slices.ContainsFunc(addresses, func(a gwapiv1.GatewayStatusAddress) bool { return a.Value == requested }) {
		return Binding{}, &BindError{Reason: gwapiv1.GatewayReasonAddressNotUsable, Message: fmt.Sprintf(
			"The load balancer gave Service %s the address %s, not the requested %s; check that it honours spec.loadBalancerIP, or request the address with its own annotation in spec.infrastructure.annotations and drop spec.addresses.",
			svcKey, addressList(addresses), requested)}
	}
	return Binding{Addresses: addresses}, nil
}

// Port implements Binder: the container port assigned to the listener port. Bind
// fails for a Gateway with an unassigned port, so its listeners never reach Port;
// the listener port itself is only a fallback.
func (p *serviceBinding) Port(gw *gwapiv1.Gateway, listenerPort gwapiv1.PortNumber) int32 {
	if port, ok := p.ports[types.NamespacedName{Namespace: gw.Namespace, Name: gw.Name}].Ports[listenerPort]; ok {
		return port
	}
	return listenerPort
}

// ServiceRequestedAddress reads a Gateway's spec.addresses for its Service: the
// IP to request as spec.loadBalancerIP (empty for none), or why the request cannot
// be met. params are those of the Gateway's class.
func ServiceRequestedAddress(gw *gwapiv1.Gateway, params ServiceParameters) (string, *BindError) {
	for _, address := range gw.Spec.Addresses {
		if addressType := specAddressType(address); addressType != gwapiv1.IPAddressType {
			return "", &BindError{Reason: gwapiv1.GatewayReasonUnsupportedAddress, Message: fmt.Sprintf(
				"Address %q of type %s is not supported; a Gateway's address is its Service's, and Turnpike can request an IPAddress only.",
				address.Value, addressType)}
		}
	}
	if len(gw.Spec.Addresses) > 1 {
		return "", &BindError{Reason: gwapiv1.GatewayReasonAddressNotUsable, Message: fmt.Sprintf(
			"spec.addresses asks for %d addresses, but a Gateway's Service requests one load-balancer address (spec.loadBalancerIP); keep one.",
			len(gw.Spec.Addresses))}
	}
	if len(gw.Spec.Addresses) == 0 || gw.Spec.Addresses[0].Value == "" {
		return "", nil // an empty value asks the implementation to choose
	}
	value := gw.Spec.Addresses[0].Value
	ip, err := netip.ParseAddr(value)
	if err != nil || ip.Zone() != "" {
		return "", &BindError{Reason: gwapiv1.GatewayReasonAddressNotUsable,
			Message: fmt.Sprintf("Address %q is not a valid IP address.", value)}
	}
	if params.Type != corev1.ServiceTypeLoadBalancer {
		return "", &BindError{Reason: gwapiv1.GatewayReasonAddressNotUsable, Message: fmt.Sprintf(
			"Address %s cannot be requested: the GatewayClass makes %s Services, and only a LoadBalancer Service can ask for an address; remove spec.addresses or use a LoadBalancer class.",
			ip, params.Type)}
	}
	return ip.String(), nil
}

// serviceAddresses are a Service's addresses for status, or why there is none yet.
func serviceAddresses(svc *corev1.Service) ([]gwapiv1.GatewayStatusAddress, string) {
	var out []gwapiv1.GatewayStatusAddress
	add := func(value string) {
		address := statusAddress(value)
		if !slices.ContainsFunc(out, func(a gwapiv1.GatewayStatusAddress) bool { return a.Value == address.Value }) {
			out = append(out, address)
		}
	}
	name := svc.Namespace + "/" + svc.Name
	if svc.Spec.Type == corev1.ServiceTypeLoadBalancer {
		for _, ingress := range svc.Status.LoadBalancer.Ingress {
			switch {
			case ingress.IP != "":
				add(ingress.IP)
			case ingress.Hostname != "":
				add(ingress.Hostname)
			}
		}
		return out, fmt.Sprintf("Service %s of type LoadBalancer is waiting for an address from the load balancer; the Gateway is Programmed once it has one.", name)
	}
	ips := svc.Spec.ClusterIPs
	if len(ips) == 0 && svc.Spec.ClusterIP != "" {
		ips = []string{svc.Spec.ClusterIP}
	}
	for _, ip := range ips {
		if ip != "" && ip != corev1.ClusterIPNone {
			add(ip)
		}
	}
	return out, fmt.Sprintf("Service %s is waiting for a cluster IP; the Gateway is Programmed once it has one.", name)
}

func addressList(addresses []gwapiv1.GatewayStatusAddress) string {
	values := make([]string, 0, len(addresses))
	for _, a := range addresses {
		values = append(values, a.Value)
	}
	return strings.Join(values, ", ")
}
