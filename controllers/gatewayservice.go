package controllers

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/turnpike-gateway/turnpike/controllers/compiler"
)

// GatewayServiceOptions configure the per-Gateway Services.
type GatewayServiceOptions struct {
	// Ports is the range of container ports listeners bind
	// (compiler.DefaultPortRange when zero).
	Ports compiler.PortRange
	// PodNamespace and PodLabels select Turnpike's own pods: their addresses back
	// every Gateway's Service.
	PodNamespace string
	PodLabels    map[string]string
}

// GatewayServiceProvisioner gives every Turnpike Gateway a Service of its own, in
// the Gateway's namespace, owned by the Gateway (so that deleting the Gateway
// deletes it), and that Service an EndpointSlice listing Turnpike's pods on the
// Gateway's container ports (compiler.AssignContainerPorts). It runs on the
// leader only, and everything it writes is server-side applied with one field
// manager: it never touches fields it does not set, and never deletes a Service
// it does not own.
//
// It is level-based like the compile loop: every event asks for the same one
// request, and each pass looks at every Gateway, so that the ports it writes are
// those the compiler computes from the same objects.
type GatewayServiceProvisioner struct {
	client         client.Client // reads from the manager's cache
	pods           client.Reader // Turnpike's pods only
	controllerName gwapiv1.GatewayController
	ports          compiler.PortRange
	log            logr.Logger
}

// provisionRequest is the one request every watched event maps to.
var provisionRequest = reconcile.Request{NamespacedName: types.NamespacedName{Name: "gateway-services"}}

// Reconcile implements reconcile.Reconciler: one pass over every Gateway.
func (p *GatewayServiceProvisioner) Reconcile(ctx context.Context, _ reconcile.Request) (reconcile.Result, error) {
	var (
		classes        gwapiv1.GatewayClassList
		gateways       gwapiv1.GatewayList
		services       corev1.ServiceList
		endpointSlices discoveryv1.EndpointSliceList
		pods           corev1.PodList
	)
	for _, list := range []client.ObjectList{&classes, &gateways, &services, &endpointSlices} {
		if err := p.client.List(ctx, list, client.UnsafeDisableDeepCopy); err != nil {
			return reconcile.Result{}, fmt.Errorf("listing %T from the cache: %w", list, err)
		}
	}
	if err := p.pods.List(ctx, &pods); err != nil {
		return reconcile.Result{}, fmt.Errorf("listing Turnpike's pods: %w", err)
	}
	ours := compiler.OwnGateways(p.controllerName, pointers(classes.Items), pointers(gateways.Items))
	assignment := compiler.AssignContainerPorts(p.ports, p.controllerName, ours, pointers(services.Items))
	params := p.classParameters(ctx, classes.Items)
	existingServices := byKey(services.Items)
	existingSlices := byKey(endpointSlices.Items)
	podList := sortedPods(pods.Items)

	var errs []error
	for _, gw := range ours {
		classParams, accepted := params[string(gw.Spec.GatewayClassName)]
		if !accepted || gw.DeletionTimestamp != nil {
			// A class whose parameters are broken keeps its Services as they are:
			// a typo must not cost every Gateway its load-balancer address.
			continue
		}
		key := types.NamespacedName{Namespace: gw.Namespace, Name: gw.Name}
		if err := p.provision(ctx, gw, classParams, assignment[key], existingServices, existingSlices, podList); err != nil {
			errs = append(errs, fmt.Errorf("Gateway %s: %w", key, err))
		}
	}
	errs = append(errs, p.removeOrphans(ctx, classes.Items, gateways.Items, services.Items, endpointSlices.Items)...)
	return reconcile.Result{}, errors.Join(errs...)
}

// classParameters resolves the parameters of our GatewayClasses; a class whose
// parameters cannot be used is left out.
func (p *GatewayServiceProvisioner) classParameters(ctx context.Context, classes []gwapiv1.GatewayClass) map[string]compiler.ServiceParameters {
	out := map[string]compiler.ServiceParameters{}
	for i := range classes {
		class := &classes[i]
		if class.Spec.ControllerName != p.controllerName {
			continue
		}
		params, _, ok := compiler.ClassServiceParameters(class, func(key types.NamespacedName) *corev1.ConfigMap {
			cm := &corev1.ConfigMap{}
			if err := p.client.Get(ctx, key, cm); err != nil {
				return nil // missing (or unreadable): the class is not Accepted either
			}
			return cm
		})
		if ok {
			out[class.Name] = params
		}
	}
	return out
}

// provision applies one Gateway's Service and EndpointSlice when they differ from
// what was last applied.
func (p *GatewayServiceProvisioner) provision(ctx context.Context, gw *gwapiv1.Gateway, params compiler.ServiceParameters,
	assignment compiler.PortAssignment, services map[types.NamespacedName]*corev1.Service,
	endpointSlices map[types.NamespacedName]*discoveryv1.EndpointSlice, pods []*corev1.Pod) error {
	if assignment.Err != nil {
		// The Gateway's status says so (NoResources); nothing to write.
		p.log.V(1).Info("No container port left for a Gateway", "gateway", client.ObjectKeyFromObject(gw), "reason", assignment.Err.Message)
		return nil
	}
	if len(compiler.ServiceListenerPorts(gw)) == 0 {
		return nil // a Service needs a port; the Gateway's listeners are all rejected
	}
	key := types.NamespacedName{Namespace: gw.Namespace, Name: compiler.GatewayServiceName(gw.Name)}
	existing := services[key]
	if existing != nil {
		if owner, ours := compiler.ServiceOwner(existing, p.controllerName); !ours || owner != gw.Name {
			// Someone else's Service has the name: the Gateway's status says so.
			p.log.V(1).Info("Service name taken; leaving it alone", "gateway", client.ObjectKeyFromObject(gw), "service", key)
			return nil
		}
	}
	svc := desiredService(gw, params, assignment.Ports, p.controllerName)
	hash, err := stampHash(svc, svc.Annotations)
	if err != nil {
		return err
	}
	families := []corev1.IPFamily(nil)
	if existing != nil {
		families = existing.Spec.IPFamilies
	}
	if existing == nil || existing.Annotations[annotationAppliedHash] != hash {
		if err := p.client.Apply(ctx, svc, client.FieldOwner(gatewayServiceFieldManager), client.ForceOwnership); err != nil {
			return fmt.Errorf("applying Service %s: %w", key, err)
		}
		p.log.Info("Gateway Service applied", "gateway", client.ObjectKeyFromObject(gw), "service", key)
		if svc.Spec != nil {
			families = svc.Spec.IPFamilies // the response, with the family the API server chose
		}
	}
	return p.provisionSlice(ctx, gw, assignment.Ports, serviceFamily(families), endpointSlices[key], pods)
}

func (p *GatewayServiceProvisioner) provisionSlice(ctx context.Context, gw *gwapiv1.Gateway, ports map[gwapiv1.PortNumber]int32,
	family discoveryv1.AddressType, existing *discoveryv1.EndpointSlice, pods []*corev1.Pod) error {
	slice := desiredEndpointSlice(gw, ports, family, pods, p.controllerName)
	hash, err := stampHash(slice, slice.Annotations)
	if err != nil {
		return err
	}
	key := types.NamespacedName{Namespace: gw.Namespace, Name: *slice.Name}
	if existing != nil {
		if !p.ownsSlice(existing) {
			p.log.V(1).Info("EndpointSlice name taken; leaving it alone", "gateway", client.ObjectKeyFromObject(gw), "endpointSlice", key)
			return nil
		}
		if existing.Annotations[annotationAppliedHash] == hash {
			return nil
		}
		if existing.AddressType != family {
			// The address type of an EndpointSlice cannot change.
			if err := p.deleteOwned(ctx, existing); err != nil {
				return err
			}
		}
	}
	if err := p.client.Apply(ctx, slice, client.FieldOwner(gatewayServiceFieldManager), client.ForceOwnership); err != nil {
		return fmt.Errorf("applying EndpointSlice %s: %w", key, err)
	}
	p.log.V(1).Info("Gateway EndpointSlice applied", "gateway", client.ObjectKeyFromObject(gw), "endpointSlice", key, "endpoints", len(slice.Endpoints))
	return nil
}

func (p *GatewayServiceProvisioner) ownsSlice(slice *discoveryv1.EndpointSlice) bool {
	return slice.Labels[discoveryv1.LabelManagedBy] == endpointSliceManager &&
		slice.Annotations[compiler.AnnotationControllerName] == string(p.controllerName)
}

// removeOrphans deletes the Services (and EndpointSlices) of ours whose Gateway
// still exists but is no longer a Turnpike Gateway (its class changed, or is
// gone), or whose name is not the one its Gateway now gets. A Service whose
// Gateway was deleted is the garbage collector's, through the ownerReference.
func (p *GatewayServiceProvisioner) removeOrphans(ctx context.Context, classes []gwapiv1.GatewayClass, gateways []gwapiv1.Gateway,
	services []corev1.Service, endpointSlices []discoveryv1.EndpointSlice) []error {
	ourClasses := map[gwapiv1.ObjectName]bool{}
	for i := range classes {
		if classes[i].Spec.ControllerName == p.controllerName {
			ourClasses[gwapiv1.ObjectName(classes[i].Name)] = true
		}
	}
	gatewayByKey := byKey(gateways)
	var errs []error
	for i := range services {
		svc := &services[i]
		owner, ours := compiler.ServiceOwner(svc, p.controllerName)
		if !ours {
			continue
		}
		gw := gatewayByKey[types.NamespacedName{Namespace: svc.Namespace, Name: owner}]
		if gw == nil || (ourClasses[gw.Spec.GatewayClassName] && compiler.GatewayServiceName(gw.Name) == svc.Name) {
			continue
		}
		p.log.Info("Deleting the Service of a Gateway that is no longer Turnpike's", "service", client.ObjectKeyFromObject(svc),
			"gateway", client.ObjectKeyFromObject(gw))
		if err := p.deleteOwned(ctx, svc); err != nil {
			errs = append(errs, err)
		}
		for j := range endpointSlices {
			slice := &endpointSlices[j]
			if slice.Namespace == svc.Namespace && slice.Labels[discoveryv1.LabelServiceName] == svc.Name && p.ownsSlice(slice) {
				if err := p.deleteOwned(ctx, slice); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	return errs
}

// deleteOwned deletes exactly the object that was judged ours: a precondition on
// its UID keeps a namesake created since from being deleted.
func (p *GatewayServiceProvisioner) deleteOwned(ctx context.Context, obj client.Object) error {
	uid := obj.GetUID()
	err := p.client.Delete(ctx, obj, client.Preconditions{UID: &uid})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting %T %s: %w", obj, client.ObjectKeyFromObject(obj), err)
	}
	return nil
}

// byKey indexes a list's items by namespace/name.
func byKey[T any, PT interface {
	*T
	client.Object
}](items []T) map[types.NamespacedName]PT {
	out := make(map[types.NamespacedName]PT, len(items))
	for i := range items {
		obj := PT(&items[i])
		out[client.ObjectKeyFromObject(obj)] = obj
	}
	return out
}
