package compiler

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// supportedFeatures are the Gateway API features Turnpike really implements today, as
// published in GatewayClass status.supportedFeatures (the conformance suite reads its
// test selection from there). Plain names rather than gateway-api's pkg/features
// constants: the layering rules let the compiler import only gateway-api's apis
// packages. A test checks every name against pkg/features. Sorted, as the API asks.
var supportedFeatures = []gwapiv1.FeatureName{
	"Gateway",
	"HTTPRoute",
	"HTTPRouteMethodMatching",
	"HTTPRouteQueryParamMatching",
	"ReferenceGrant",
}

// compileGatewayClasses reports on every GatewayClass with our controller name and
// remembers which ones are Accepted: only their Gateways are ours. A class may name
// a ConfigMap of ServiceParameters in parametersRef; one that cannot be used (another
// kind, missing, malformed) leaves the class not Accepted rather than silently
// ignored.
func (c *compiler) compileGatewayClasses(classes []*gwapiv1.GatewayClass, configMaps []*corev1.ConfigMap) {
	index := configMapIndex(configMaps)
	for _, class := range classes {
		if class == nil || class.Spec.ControllerName != c.controllerName {
			continue
		}
		accepted := condition(gwapiv1.GatewayClassConditionStatusAccepted, true,
			gwapiv1.GatewayClassReasonAccepted, "The GatewayClass is accepted by Turnpike.", class.Generation)
		if _, message, ok := classParameters(class, index); ok {
			c.acceptedClasses[class.Name] = true
		} else {
			accepted = condition(gwapiv1.GatewayClassConditionStatusAccepted, false,
				gwapiv1.GatewayClassReasonInvalidParameters, message, class.Generation)
		}
		c.report.GatewayClasses[class.Name] = &GatewayClassResult{
			Generation:        class.Generation,
			Conditions:        []metav1.Condition{accepted},
			SupportedFeatures: supportedFeatureList(),
		}
	}
}

func supportedFeatureList() []gwapiv1.SupportedFeature {
	list := make([]gwapiv1.SupportedFeature, 0, len(supportedFeatures))
	for _, name := range supportedFeatures {
		list = append(list, gwapiv1.SupportedFeature{Name: name})
	}
	return list
}

// describeGroupKindName formats a reference for a status message, e.g.
// `example.com/Config "default/params"` or `Service "prod/web"`.
func describeGroupKindName(group gwapiv1.Group, kind gwapiv1.Kind, namespace *gwapiv1.Namespace, name string) string {
	groupKind := string(kind)
	if group != "" {
		groupKind = string(group) + "/" + groupKind
	}
	if namespace != nil && *namespace != "" {
		name = string(*namespace) + "/" + name
	}
	return fmt.Sprintf("%s %q", groupKind, name)
}
