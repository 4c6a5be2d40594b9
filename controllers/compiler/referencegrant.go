package compiler

import (
	"k8s.io/apimachinery/pkg/types"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// referenceGranted says whether a ReferenceGrant in the Service's namespace lets
// HTTPRoutes in fromNamespace reference the Service. A grant's "to" entry without a
// name covers every Service of the namespace.
func (ix *index) referenceGranted(fromNamespace string, service types.NamespacedName) bool {
	return ix.granted(gwapiv1.GroupName, kindHTTPRoute, fromNamespace, "", "Service", service)
}

// secretReferenceGranted says whether a ReferenceGrant in the Secret's namespace
// lets Gateways in fromNamespace use the Secret (for TLS certificates).
func (ix *index) secretReferenceGranted(fromNamespace string, secret types.NamespacedName) bool {
	return ix.granted(gwapiv1.GroupName, "Gateway", fromNamespace, "", "Secret", secret)
}

// granted says whether a ReferenceGrant in target's namespace lets objects of
// fromGroup/fromKind in fromNamespace reference target, of toGroup/toKind.
func (ix *index) granted(fromGroup gwapiv1.Group, fromKind gwapiv1.Kind, fromNamespace string,
	toGroup gwapiv1.Group, toKind gwapiv1.Kind, target types.NamespacedName) bool {
	for _, grant := range ix.grants[target.Namespace] {
		if grantsFrom(grant, fromGroup, fromKind, fromNamespace) && grantsTo(grant, toGroup, toKind, target.Name) {
			return true
		}
	}
	return false
}

func grantsFrom(grant *gwapiv1.ReferenceGrant, group gwapiv1.Group, kind gwapiv1.Kind, namespace string) bool {
	for _, from := range grant.Spec.From {
		if from.Group == group && from.Kind == kind && string(from.Namespace) == namespace {
			return true
		}
	}
	return false
}

func grantsTo(grant *gwapiv1.ReferenceGrant, group gwapiv1.Group, kind gwapiv1.Kind, name string) bool {
	for _, to := range grant.Spec.To {
		if to.Group != group || to.Kind != kind {
			continue
		}
		if to.Name == nil || *to.Name == "" || string(*to.Name) == name {
			return true
		}
	}
	return false
}
