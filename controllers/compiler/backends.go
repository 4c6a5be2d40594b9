package compiler

import (
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// resolveBackends resolves a rule's backendRefs. An unresolvable backendRef still
// becomes a Backend, marked Invalid, so that its share of the traffic gets the 500
// the API asks for; the reason goes to the route's ResolvedRefs condition. The
// returned problems are the ones that make the whole rule invalid.
func (c *compiler) resolveBackends(rs *routeState, refs []gwapiv1.HTTPBackendRef) ([]*snapshot.Backend, []string) {
	var backends []*snapshot.Backend
	var problems []string
	for i := range refs {
		ref := &refs[i]
		if len(ref.Filters) > 0 {
			problems = append(problems, fmt.Sprintf("backendRefs[%d].filters are not supported yet", i))
		}
		weight := int32(1)
		if ref.Weight != nil {
			weight = *ref.Weight
		}
		backend := &snapshot.Backend{Weight: weight}
		reason, message := c.resolveBackend(rs.key.Namespace, &ref.BackendObjectReference, backend)
		if reason != "" {
			backend.Invalid = message
			rs.addRefProblem(reason, message)
		}
		backends = append(backends, backend)
	}
	return backends, problems
}

// resolveBackend fills backend.Name and backend.Endpoints, or returns the ResolvedRefs
// reason and message saying why the reference cannot be used.
func (c *compiler) resolveBackend(routeNamespace string, ref *gwapiv1.BackendObjectReference, backend *snapshot.Backend) (gwapiv1.RouteConditionReason, string) {
	group, kind := "", "Service"
	if ref.Group != nil {
		group = string(*ref.Group)
	}
	if ref.Kind != nil {
		kind = string(*ref.Kind)
	}
	namespace := routeNamespace
	if ref.Namespace != nil && *ref.Namespace != "" {
		namespace = string(*ref.Namespace)
	}
	key := types.NamespacedName{Namespace: namespace, Name: string(ref.Name)}
	backend.Name = key.String()
	if ref.Port != nil {
		backend.Name += ":" + strconv.Itoa(int(*ref.Port))
	}

	if group != "" || kind != "Service" {
		return gwapiv1.RouteReasonInvalidKind, fmt.Sprintf("backendRef %s is not supported; only core Services are.",
			describeGroupKindName(gwapiv1.Group(group), gwapiv1.Kind(kind), nil, key.String()))
	}
	if namespace != routeNamespace && !c.ix.referenceGranted(routeNamespace, key) {
		return gwapiv1.RouteReasonRefNotPermitted, fmt.Sprintf(
			"Backend Service %s is in another namespace and no ReferenceGrant in namespace %s allows HTTPRoutes from namespace %s to use it.",
			key, namespace, routeNamespace)
	}
	if ref.Port == nil {
		return gwapiv1.RouteReasonBackendNotFound, fmt.Sprintf("backendRef to Service %s must set port.", key)
	}
	svc := c.ix.services[key]
	if svc == nil {
		return gwapiv1.RouteReasonBackendNotFound, fmt.Sprintf("Backend Service %s does not exist.", key)
	}
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		return gwapiv1.RouteReasonInvalidKind, fmt.Sprintf("Backend Service %s is of type ExternalName, which is not supported.", key)
	}
	for i := range svc.Spec.Ports {
		if port := &svc.Spec.Ports[i]; port.Port == *ref.Port {
			backend.Endpoints = c.ix.serviceEndpoints(key, port)
			return "", ""
		}
	}
	return gwapiv1.RouteReasonBackendNotFound, fmt.Sprintf("Backend Service %s has no port %d.", key, *ref.Port)
}
