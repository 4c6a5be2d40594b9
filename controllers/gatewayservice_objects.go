package controllers

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	discoveryv1ac "k8s.io/client-go/applyconfigurations/discovery/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/turnpike-gateway/turnpike/controllers/compiler"
)

const (
	// gatewayServiceFieldManager owns, through server-side apply, exactly the
	// fields Turnpike sets on per-Gateway Services and their EndpointSlices; other
	// writers (a cloud controller's annotations, the API server's defaults) keep
	// theirs.
	gatewayServiceFieldManager = "turnpike-gateway-service"
	// annotationAppliedHash records a hash of what was last applied, so that an
	// unchanged object costs no API call.
	annotationAppliedHash = "turnpike.dev/applied-hash"
	// endpointSliceManager marks the EndpointSlices Turnpike writes, as the
	// EndpointSlice API asks of every controller that is not kube's own.
	endpointSliceManager = "gateway-service.turnpike.dev"
)

// desiredService is the Service Turnpike applies for gw: its listener ports mapped
// onto the container ports of ports, with the class's parameters, and the Gateway's
// spec.infrastructure labels and annotations over them. It has no selector:
// Turnpike's pods run in Turnpike's namespace, which a selector cannot reach from
// the Gateway's, so Turnpike writes the Service's EndpointSlice itself.
func desiredService(gw *gwapiv1.Gateway, params compiler.ServiceParameters, ports map[gwapiv1.PortNumber]int32,
	controllerName gwapiv1.GatewayController) *corev1ac.ServiceApplyConfiguration {
	spec := corev1ac.ServiceSpec().WithType(params.Type)
	for _, port := range servicePorts(gw, ports) {
		spec.WithPorts(corev1ac.ServicePort().WithName(port.name).WithProtocol(corev1.ProtocolTCP).
			WithPort(int32(port.listenerPort)).WithTargetPort(intstr.FromInt32(port.containerPort)))
	}
	if params.Type == corev1.ServiceTypeLoadBalancer {
		// The binder reports a request that cannot be met; the Service only
		// carries one that can.
		if ip, bindErr := compiler.ServiceRequestedAddress(gw, params); bindErr == nil && ip != "" {
			spec.WithLoadBalancerIP(ip)
		}
		if params.LoadBalancerClass != "" {
			spec.WithLoadBalancerClass(params.LoadBalancerClass)
		}
	}
	if params.ExternalTrafficPolicy != "" {
		spec.WithExternalTrafficPolicy(params.ExternalTrafficPolicy)
	}
	labels, annotations := objectMarks(gw, params, controllerName)
	return corev1ac.Service(compiler.GatewayServiceName(gw.Name), gw.Namespace).
		WithLabels(labels).WithAnnotations(annotations).
		WithOwnerReferences(gatewayOwner(gw)).
		WithSpec(spec)
}

// objectMarks are the labels and annotations of a Gateway's Service: the class's,
// then the Gateway's spec.infrastructure ones (the more specific wins), then
// Turnpike's own, which nothing may override since ownership rests on them.
func objectMarks(gw *gwapiv1.Gateway, params compiler.ServiceParameters, controllerName gwapiv1.GatewayController) (labels, annotations map[string]string) {
	labels, annotations = map[string]string{}, map[string]string{}
	maps.Copy(labels, params.Labels)
	maps.Copy(annotations, params.Annotations)
	if infra := gw.Spec.Infrastructure; infra != nil {
		for key, value := range infra.Labels {
			labels[string(key)] = string(value)
		}
		for key, value := range infra.Annotations {
			annotations[string(key)] = string(value)
		}
	}
	labels[compiler.LabelManagedBy] = compiler.ManagedByTurnpike
	if len(validation.IsValidLabelValue(gw.Name)) == 0 {
		labels[compiler.LabelGatewayName] = gw.Name // a Gateway name may be too long for a label
	} else {
		delete(labels, compiler.LabelGatewayName)
	}
	annotations[compiler.AnnotationControllerName] = string(controllerName)
	delete(annotations, annotationAppliedHash)
	return labels, annotations
}

func gatewayOwner(gw *gwapiv1.Gateway) *metav1ac.OwnerReferenceApplyConfiguration {
	// Not blockOwnerDeletion: that would need permission on gateways/finalizers,
	// and nothing needs the Gateway to outlive its Service.
	return metav1ac.OwnerReference().WithAPIVersion(gwapiv1.GroupVersion.String()).WithKind("Gateway").
		WithName(gw.Name).WithUID(gw.UID).WithController(true)
}

// servicePort is one port of a Gateway's Service.
type servicePort struct {
	name          string
	listenerPort  gwapiv1.PortNumber
	containerPort int32
}

// servicePorts lists a Gateway's Service ports, named after the protocol of the
// first listener on each port ("http-80", "https-443": at most 15 characters, as
// port names must be).
func servicePorts(gw *gwapiv1.Gateway, ports map[gwapiv1.PortNumber]int32) []servicePort {
	var out []servicePort
	for _, port := range compiler.ServiceListenerPorts(gw) {
		containerPort, ok := ports[port]
		if !ok {
			continue
		}
		protocol := "http"
		for _, l := range gw.Spec.Listeners {
			if l.Port == port {
				protocol = strings.ToLower(string(l.Protocol))
				break
			}
		}
		out = append(out, servicePort{name: fmt.Sprintf("%s-%d", protocol, port), listenerPort: port, containerPort: containerPort})
	}
	return out
}

// desiredEndpointSlice is the EndpointSlice of a Gateway's Service: every
// Turnpike pod with an address of family, on the container ports.
func desiredEndpointSlice(gw *gwapiv1.Gateway, ports map[gwapiv1.PortNumber]int32, family discoveryv1.AddressType,
	pods []*corev1.Pod, controllerName gwapiv1.GatewayController) *discoveryv1ac.EndpointSliceApplyConfiguration {
	serviceName := compiler.GatewayServiceName(gw.Name)
	slice := discoveryv1ac.EndpointSlice(serviceName, gw.Namespace).
		WithLabels(map[string]string{
			discoveryv1.LabelServiceName: serviceName,
			discoveryv1.LabelManagedBy:   endpointSliceManager,
			compiler.LabelManagedBy:      compiler.ManagedByTurnpike,
		}).
		WithAnnotations(map[string]string{compiler.AnnotationControllerName: string(controllerName)}).
		WithOwnerReferences(gatewayOwner(gw)).
		WithAddressType(family)
	for _, port := range servicePorts(gw, ports) {
		slice.WithPorts(discoveryv1ac.EndpointPort().WithName(port.name).WithProtocol(corev1.ProtocolTCP).WithPort(port.containerPort))
	}
	for _, pod := range pods {
		address := podAddress(pod, family)
		if address == "" {
			continue
		}
		ready := podReady(pod)
		terminating := pod.DeletionTimestamp != nil
		endpoint := discoveryv1ac.Endpoint().WithAddresses(address).
			WithConditions(discoveryv1ac.EndpointConditions().
				WithReady(ready && !terminating).WithServing(ready).WithTerminating(terminating)).
			WithTargetRef(corev1ac.ObjectReference().WithKind("Pod").WithNamespace(pod.Namespace).WithName(pod.Name).WithUID(pod.UID))
		if pod.Spec.NodeName != "" {
			endpoint.WithNodeName(pod.Spec.NodeName)
		}
		slice.WithEndpoints(endpoint)
	}
	return slice
}

// podAddress is the pod's IP of family, or "" (no IP yet, or only another family,
// or a pod that has finished).
func podAddress(pod *corev1.Pod, family discoveryv1.AddressType) string {
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return ""
	}
	ips := []string{pod.Status.PodIP}
	for _, podIP := range pod.Status.PodIPs {
		ips = append(ips, podIP.IP)
	}
	for _, value := range ips {
		ip, err := netip.ParseAddr(value)
		if err != nil {
			continue
		}
		if (family == discoveryv1.AddressTypeIPv4) == ip.Is4() {
			return ip.String()
		}
	}
	return ""
}

func podReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// sortedPods orders pods by name, so that the same pods always give the same
// EndpointSlice (and the same hash).
func sortedPods(pods []corev1.Pod) []*corev1.Pod {
	out := make([]*corev1.Pod, 0, len(pods))
	for i := range pods {
		out = append(out, &pods[i])
	}
	slices.SortFunc(out, func(a, b *corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// serviceFamily is the address family of a Service's EndpointSlice: its first IP
// family, once the API server has chosen it, else IPv4 (the default of a
// single-stack cluster; the slice is replaced if the Service says otherwise).
func serviceFamily(families []corev1.IPFamily) discoveryv1.AddressType {
	if len(families) > 0 && families[0] == corev1.IPv6Protocol {
		return discoveryv1.AddressTypeIPv6
	}
	return discoveryv1.AddressTypeIPv4
}

// stampHash puts a hash of an apply configuration in its annotations (which must
// not be nil) and returns it.
func stampHash(config any, annotations map[string]string) (string, error) {
	data, err := json.Marshal(config)
	if err != nil {
		return "", fmt.Errorf("hashing an apply configuration: %w", err)
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:16])
	annotations[annotationAppliedHash] = hash
	return hash, nil
}
