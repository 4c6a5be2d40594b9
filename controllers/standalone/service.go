package standalone

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The checks in this file follow the API server's (k8s.io/kubernetes
// pkg/apis/core/validation) for the fields the compiler reads, with its messages.

var supportedProtocols = []string{string(corev1.ProtocolSCTP), string(corev1.ProtocolTCP), string(corev1.ProtocolUDP)}

// defaultService fills what the API server's defaulting would.
func defaultService(service *corev1.Service) {
	spec := &service.Spec
	if spec.Type == "" {
		spec.Type = corev1.ServiceTypeClusterIP
	}
	if spec.SessionAffinity == "" {
		spec.SessionAffinity = corev1.ServiceAffinityNone
	}
	for i := range spec.Ports {
		port := &spec.Ports[i]
		if port.Protocol == "" {
			port.Protocol = corev1.ProtocolTCP
		}
		if port.TargetPort == (intstr.IntOrString{}) {
			port.TargetPort = intstr.FromInt32(port.Port)
		}
	}
	if spec.Type != corev1.ServiceTypeExternalName && spec.InternalTrafficPolicy == nil {
		cluster := corev1.ServiceInternalTrafficPolicyCluster
		spec.InternalTrafficPolicy = &cluster
	}
	if (spec.Type == corev1.ServiceTypeNodePort || spec.Type == corev1.ServiceTypeLoadBalancer) && spec.ExternalTrafficPolicy == "" {
		spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
	}
}

func validateService(service *corev1.Service) field.ErrorList {
	specPath := field.NewPath("spec")
	spec := &service.Spec
	var errs field.ErrorList

	serviceTypes := []string{string(corev1.ServiceTypeClusterIP), string(corev1.ServiceTypeExternalName),
		string(corev1.ServiceTypeLoadBalancer), string(corev1.ServiceTypeNodePort)}
	if !slices.Contains(serviceTypes, string(spec.Type)) {
		errs = append(errs, field.NotSupported(specPath.Child("type"), spec.Type, serviceTypes))
	}
	affinities := []string{string(corev1.ServiceAffinityClientIP), string(corev1.ServiceAffinityNone)}
	if !slices.Contains(affinities, string(spec.SessionAffinity)) {
		errs = append(errs, field.NotSupported(specPath.Child("sessionAffinity"), spec.SessionAffinity, affinities))
	}

	headless := spec.ClusterIP == corev1.ClusterIPNone
	if spec.ClusterIP != "" && !headless {
		errs = append(errs, validation.IsValidIP(specPath.Child("clusterIP"), spec.ClusterIP)...)
	}
	for i, ip := range spec.ClusterIPs {
		if ip != corev1.ClusterIPNone {
			errs = append(errs, validation.IsValidIP(specPath.Child("clusterIPs").Index(i), ip)...)
		}
	}

	if spec.Type == corev1.ServiceTypeExternalName {
		namePath := specPath.Child("externalName")
		if spec.ExternalName == "" {
			errs = append(errs, field.Required(namePath, ""))
		} else {
			for _, msg := range content.IsDNS1123Subdomain(trimTrailingDot(spec.ExternalName)) {
				errs = append(errs, field.Invalid(namePath, spec.ExternalName, msg))
			}
		}
	} else if len(spec.Ports) == 0 && !headless {
		errs = append(errs, field.Required(specPath.Child("ports"), ""))
	}

	errs = append(errs, validateServicePorts(spec.Ports, specPath.Child("ports"))...)
	errs = append(errs, metav1validation.ValidateLabels(spec.Selector, specPath.Child("selector"))...)
	return errs
}

func validateServicePorts(ports []corev1.ServicePort, portsPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	names := make(map[string]bool, len(ports))
	type portKey struct {
		port     int32
		protocol corev1.Protocol
	}
	seen := make(map[portKey]bool, len(ports))
	for i, port := range ports {
		portPath := portsPath.Index(i)
		switch {
		case len(ports) > 1 && port.Name == "":
			errs = append(errs, field.Required(portPath.Child("name"), "a name is required when a Service has several ports"))
		case port.Name != "":
			errs = append(errs, dns1123Label(port.Name, portPath.Child("name"))...)
			if names[port.Name] {
				errs = append(errs, field.Duplicate(portPath.Child("name"), port.Name))
			}
			names[port.Name] = true
		}
		for _, msg := range validation.IsValidPortNum(int(port.Port)) {
			errs = append(errs, field.Invalid(portPath.Child("port"), port.Port, msg))
		}
		errs = append(errs, validateProtocol(port.Protocol, portPath.Child("protocol"))...)
		errs = append(errs, validatePortNumOrName(port.TargetPort, portPath.Child("targetPort"))...)
		if port.NodePort != 0 {
			for _, msg := range validation.IsValidPortNum(int(port.NodePort)) {
				errs = append(errs, field.Invalid(portPath.Child("nodePort"), port.NodePort, msg))
			}
		}
		if port.AppProtocol != nil {
			errs = append(errs, qualifiedName(*port.AppProtocol, portPath.Child("appProtocol"))...)
		}
		key := portKey{port.Port, port.Protocol}
		if seen[key] {
			errs = append(errs, field.Duplicate(portPath, key))
		}
		seen[key] = true
	}
	return errs
}

func validateProtocol(protocol corev1.Protocol, path *field.Path) field.ErrorList {
	if protocol == "" {
		return field.ErrorList{field.Required(path, "")}
	}
	if !slices.Contains(supportedProtocols, string(protocol)) {
		return field.ErrorList{field.NotSupported(path, protocol, supportedProtocols)}
	}
	return nil
}

func validatePortNumOrName(port intstr.IntOrString, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if port.Type == intstr.String {
		for _, msg := range validation.IsValidPortName(port.StrVal) {
			errs = append(errs, field.Invalid(path, port.StrVal, msg))
		}
		return errs
	}
	for _, msg := range validation.IsValidPortNum(port.IntValue()) {
		errs = append(errs, field.Invalid(path, port.IntVal, msg))
	}
	return errs
}

func dns1123Label(value string, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range content.IsDNS1123Label(value) {
		errs = append(errs, field.Invalid(path, value, msg))
	}
	return errs
}

func qualifiedName(value string, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range content.IsQualifiedName(value) {
		errs = append(errs, field.Invalid(path, value, msg))
	}
	return errs
}

func trimTrailingDot(name string) string {
	if len(name) > 0 && name[len(name)-1] == '.' {
		return name[:len(name)-1]
	}
	return name
}
