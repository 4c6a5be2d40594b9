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
	for _, kind := range watchedKinds() {
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
