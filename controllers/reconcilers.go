package controllers

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	tpv1a1 "github.com/turnpike-gateway/turnpike/api/v1alpha1"
)

// watchedKind is one kind whose changes trigger a compile.
type watchedKind struct {
	name   string
	object client.Object
	// filter drops events that cannot change the snapshot or the report, above all
	// our own status writes (which would otherwise trigger a compile each).
	filter predicate.Predicate
}

func watchedKinds() []watchedKind {
	specOrLabels := predicate.Or(predicate.GenerationChangedPredicate{}, predicate.LabelChangedPredicate{})
	return []watchedKind{
		{"gatewayclass", &gwapiv1.GatewayClass{}, predicate.GenerationChangedPredicate{}},
		{"gateway", &gwapiv1.Gateway{}, predicate.GenerationChangedPredicate{}},
		{"httproute", &gwapiv1.HTTPRoute{}, predicate.GenerationChangedPredicate{}},
		{"referencegrant", &gwapiv1.ReferenceGrant{}, predicate.GenerationChangedPredicate{}},
		{"service", &corev1.Service{}, predicate.ResourceVersionChangedPredicate{}},
		{"endpointslice", &discoveryv1.EndpointSlice{}, predicate.ResourceVersionChangedPredicate{}},
		{"secret", &corev1.Secret{}, predicate.ResourceVersionChangedPredicate{}},
		// Namespaces matter for their labels (allowedRoutes selectors).
		{"namespace", &corev1.Namespace{}, specOrLabels},
		{"ratelimitpolicy", &tpv1a1.RateLimitPolicy{}, predicate.GenerationChangedPredicate{}},
		{"authpolicy", &tpv1a1.AuthPolicy{}, predicate.GenerationChangedPredicate{}},
	}
}

// triggerReconciler is the whole of a per-kind reconciler: look again.
type triggerReconciler struct{ loop *CompileLoop }

func (r triggerReconciler) Reconcile(context.Context, reconcile.Request) (reconcile.Result, error) {
	r.loop.Trigger()
	return reconcile.Result{}, nil
}

// SetupReconcilers registers one thin reconciler per watched kind. They run on every
// replica (not only the leader) because every replica serves traffic.
func SetupReconcilers(mgr ctrl.Manager, loop *CompileLoop) error {
	kinds := append(watchedKinds(), watchedKind{"configmap", &corev1.ConfigMap{},
		predicate.And(predicate.ResourceVersionChangedPredicate{}, namedByGatewayClass(mgr.GetClient()))})
	for _, kind := range kinds {
		err := ctrl.NewControllerManagedBy(mgr).
			Named(kind.name).
			For(kind.object).
			WithEventFilter(kind.filter).
			WithOptions(controller.Options{NeedLeaderElection: ptr.To(false), MaxConcurrentReconciles: 1}).
			Complete(triggerReconciler{loop: loop})
		if err != nil {
			return fmt.Errorf("setting up the %s reconciler: %w", kind.name, err)
		}
	}
	return nil
}

// namedByGatewayClass passes the ConfigMaps that some GatewayClass names in
// parametersRef: the compiler reads no other, and a busy cluster changes
// ConfigMaps all the time. A class that starts naming a ConfigMap triggers a
// compile through its own event.
func namedByGatewayClass(reader client.Reader) predicate.Predicate {
	return predicate.NewPredicateFuncs(func(obj client.Object) bool {
		var classes gwapiv1.GatewayClassList
		if err := reader.List(context.Background(), &classes, client.UnsafeDisableDeepCopy); err != nil {
			return true // compiling once too often is harmless; missing a change is not
		}
		for i := range classes.Items {
			ref := classes.Items[i].Spec.ParametersRef
			if ref != nil && ref.Group == "" && ref.Kind == "ConfigMap" && ref.Name == obj.GetName() &&
				ref.Namespace != nil && string(*ref.Namespace) == obj.GetNamespace() {
				return true
			}
		}
		return false
	})
}
