package compiler

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"
)

// ServiceParameters are the settings a GatewayClass gives the per-Gateway Services
// of its Gateways. They come from the ConfigMap its parametersRef names (group "",
// kind ConfigMap, with a namespace: a GatewayClass is cluster-scoped), one key each:
//
//	serviceType            LoadBalancer (the default), NodePort or ClusterIP
//	annotations            a YAML map of annotations, e.g. a cloud's load-balancer settings
//	labels                 a YAML map of labels
//	externalTrafficPolicy  Cluster or Local (LoadBalancer and NodePort only)
//	loadBalancerClass      the load-balancer implementation to use (LoadBalancer only)
//
// Any other key is an error, so that a misspelt key is reported rather than ignored.
type ServiceParameters struct {
	Type                  corev1.ServiceType
	Annotations           map[string]string
	Labels                map[string]string
	ExternalTrafficPolicy corev1.ServiceExternalTrafficPolicy
	LoadBalancerClass     string
}

// ConfigMap keys of ServiceParameters.
const (
	ParamServiceType           = "serviceType"
	ParamAnnotations           = "annotations"
	ParamLabels                = "labels"
	ParamExternalTrafficPolicy = "externalTrafficPolicy"
	ParamLoadBalancerClass     = "loadBalancerClass"
)

// DefaultServiceParameters apply to the Gateways of a class without parametersRef.
func DefaultServiceParameters() ServiceParameters {
	return ServiceParameters{Type: corev1.ServiceTypeLoadBalancer}
}

// ParseServiceParameters reads a GatewayClass's parameters ConfigMap. The error is
// a sentence for the GatewayClass's status.
func ParseServiceParameters(cm *corev1.ConfigMap) (ServiceParameters, error) {
	params := DefaultServiceParameters()
	name := cm.Namespace + "/" + cm.Name
	if len(cm.BinaryData) > 0 {
		return params, fmt.Errorf("ConfigMap %s has binaryData key %q; Turnpike reads only data keys (%s).",
			name, sortedKeys(cm.BinaryData)[0], paramKeyList())
	}
	for _, key := range sortedKeys(cm.Data) {
		value := strings.TrimSpace(cm.Data[key])
		var err error
		switch key {
		case ParamServiceType:
			params.Type = corev1.ServiceType(value)
			if !slices.Contains([]corev1.ServiceType{corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeNodePort, corev1.ServiceTypeClusterIP}, params.Type) {
				err = fmt.Errorf("serviceType %q is not LoadBalancer, NodePort or ClusterIP", value)
			}
		case ParamAnnotations:
			params.Annotations, err = parseStringMap(ParamAnnotations, value, validateAnnotation)
		case ParamLabels:
			params.Labels, err = parseStringMap(ParamLabels, value, validateLabel)
		case ParamExternalTrafficPolicy:
			params.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicy(value)
			if value != string(corev1.ServiceExternalTrafficPolicyCluster) && value != string(corev1.ServiceExternalTrafficPolicyLocal) {
				err = fmt.Errorf("externalTrafficPolicy %q is not Cluster or Local", value)
			}
		case ParamLoadBalancerClass:
			params.LoadBalancerClass = value
			if problems := validation.IsQualifiedName(value); len(problems) > 0 {
				err = fmt.Errorf("loadBalancerClass %q is not a qualified name: %s", value, strings.Join(problems, "; "))
			}
		default:
			err = fmt.Errorf("key %q is not one Turnpike knows (%s)", key, paramKeyList())
		}
		if err != nil {
			return params, fmt.Errorf("ConfigMap %s: %w.", name, err)
		}
	}
	if params.ExternalTrafficPolicy != "" && params.Type == corev1.ServiceTypeClusterIP {
		return params, fmt.Errorf("ConfigMap %s: externalTrafficPolicy applies to LoadBalancer and NodePort Services, not ClusterIP.", name)
	}
	if params.LoadBalancerClass != "" && params.Type != corev1.ServiceTypeLoadBalancer {
		return params, fmt.Errorf("ConfigMap %s: loadBalancerClass applies to LoadBalancer Services, not %s.", name, params.Type)
	}
	return params, nil
}

func paramKeyList() string {
	return strings.Join([]string{ParamServiceType, ParamAnnotations, ParamLabels, ParamExternalTrafficPolicy, ParamLoadBalancerClass}, ", ")
}

// parseStringMap reads a YAML map of strings such as "a: b\nc: d"; what names it
// ("annotations") in errors.
func parseStringMap(what, value string, validate func(key, value string) []string) (map[string]string, error) {
	out := map[string]string{}
	if err := yaml.UnmarshalStrict([]byte(value), &out); err != nil {
		return nil, fmt.Errorf("%s must be a YAML map of strings, one \"key: value\" per line: %v", what, err)
	}
	for _, key := range sortedKeys(out) {
		if problems := validate(key, out[key]); len(problems) > 0 {
			return nil, fmt.Errorf("%s entry %q: %q is not valid: %s", what, key, out[key], strings.Join(problems, "; "))
		}
	}
	return out, nil
}

func validateAnnotation(key, _ string) []string {
	return validation.IsQualifiedName(strings.ToLower(key))
}

func validateLabel(key, value string) []string {
	return append(validation.IsQualifiedName(key), validation.IsValidLabelValue(value)...)
}

// classParameters resolves a GatewayClass's parametersRef against configMaps (by
// namespace/name). ok is false with a status message when the reference cannot be
// used; a class without parametersRef gets DefaultServiceParameters.
func classParameters(class *gwapiv1.GatewayClass, configMaps map[types.NamespacedName]*corev1.ConfigMap) (params ServiceParameters, message string, ok bool) {
	ref := class.Spec.ParametersRef
	if ref == nil {
		return DefaultServiceParameters(), "", true
	}
	if ref.Group != "" || ref.Kind != "ConfigMap" {
		return params, fmt.Sprintf("parametersRef %s is not supported: Turnpike's class parameters are a ConfigMap (group \"\", kind ConfigMap) of Service settings; name one or remove parametersRef.",
			describeGroupKindName(ref.Group, ref.Kind, ref.Namespace, ref.Name)), false
	}
	if ref.Namespace == nil || *ref.Namespace == "" {
		return params, fmt.Sprintf("parametersRef names ConfigMap %q without a namespace; a GatewayClass is cluster-scoped, so set parametersRef.namespace.", ref.Name), false
	}
	key := types.NamespacedName{Namespace: string(*ref.Namespace), Name: ref.Name}
	cm := configMaps[key]
	if cm == nil {
		return params, fmt.Sprintf("ConfigMap %s named by parametersRef does not exist.", key), false
	}
	params, err := ParseServiceParameters(cm)
	if err != nil {
		return params, err.Error(), false
	}
	return params, "", true
}

// ClassServiceParameters resolves a GatewayClass's parametersRef the way Compile
// does, for the provisioner of per-Gateway Services. configMap returns the named
// ConfigMap, or nil when it does not exist.
func ClassServiceParameters(class *gwapiv1.GatewayClass, configMap func(types.NamespacedName) *corev1.ConfigMap) (ServiceParameters, string, bool) {
	found := map[types.NamespacedName]*corev1.ConfigMap{}
	if ref := class.Spec.ParametersRef; ref != nil && ref.Namespace != nil {
		key := types.NamespacedName{Namespace: string(*ref.Namespace), Name: ref.Name}
		if cm := configMap(key); cm != nil {
			found[key] = cm
		}
	}
	return classParameters(class, found)
}

func configMapIndex(configMaps []*corev1.ConfigMap) map[types.NamespacedName]*corev1.ConfigMap {
	out := make(map[types.NamespacedName]*corev1.ConfigMap, len(configMaps))
	for _, cm := range configMaps {
		if cm != nil {
			out[types.NamespacedName{Namespace: cm.Namespace, Name: cm.Name}] = cm
		}
	}
	return out
}
