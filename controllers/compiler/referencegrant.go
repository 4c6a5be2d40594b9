package compiler

import (
	"k8s.io/apimachinery/pkg/types"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// referenceGranted says whether a ReferenceGrant in the Service's namespace lets
// HTTPRoutes in fromNamespace reference the Service. A grant's "to" entry without a
// name covers every Service of the namespace.
func (ix *index) referenceGranted(fromNamespace string, service types.NamespacedName) bool {
	for _, grant := range ix.grants[service.Namespace] {
		if grantsFrom(grant, fromNamespace) && grantsTo(grant, service.Name) {
			return true
		}
	}
	return false
}

func grantsFrom(grant *gwapiv1.ReferenceGrant, fromNamespace string) bool {
	for _, from := range grant.Spec.From {
		if from.Group == gwapiv1.GroupName && from.Kind == "HTTPRoute" && string(from.Namespace) == fromNamespace {
			return true
		}
	}
	return false
}

func grantsTo(grant *gwapiv1.ReferenceGrant, serviceName string) bool {
	for _, to := range grant.Spec.To {
		if to.Group != "" || to.Kind != "Service" {
			continue
		}
		if to.Name == nil || *to.Name == "" || string(*to.Name) == serviceName {
			return true
		}
	}
	return false
}
