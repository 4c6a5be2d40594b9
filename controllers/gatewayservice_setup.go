package controllers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/turnpike-gateway/turnpike/controllers/compiler"
)

// SetupGatewayServices adds the provisioner of per-Gateway Services to a manager.
// It runs on the leader only. Turnpike's own pods are watched through a cache of
// their own, limited to their namespace and labels (a cluster's pods are far too
// many to cache), which the manager starts with the leader's runnables.
func SetupGatewayServices(mgr ctrl.Manager, controllerName gwapiv1.GatewayController, opts GatewayServiceOptions, log logr.Logger) error {
	if opts.PodNamespace == "" || len(opts.PodLabels) == 0 {
		return errors.New("per-Gateway Services need the namespace and the labels of Turnpike's pods, whose addresses back them")
	}
	if opts.Ports == (compiler.PortRange{}) {
		opts.Ports = compiler.DefaultPortRange
	}
	if controllerName == "" {
		controllerName = compiler.ControllerName
	}
	podCache, err := cache.New(mgr.GetConfig(), cache.Options{
		HTTPClient:           mgr.GetHTTPClient(),
		Scheme:               mgr.GetScheme(),
		Mapper:               mgr.GetRESTMapper(),
		DefaultNamespaces:    map[string]cache.Config{opts.PodNamespace: {}},
		DefaultLabelSelector: labels.SelectorFromSet(opts.PodLabels),
	})
	if err != nil {
		return fmt.Errorf("creating the cache of Turnpike's pods: %w", err)
	}
	if err := mgr.Add(podCache); err != nil {
		return fmt.Errorf("adding the cache of Turnpike's pods: %w", err)
	}
	provisioner := &GatewayServiceProvisioner{
		client:         mgr.GetClient(),
		pods:           podCache,
		controllerName: controllerName,
		ports:          opts.Ports,
		log:            log,
	}
	all := handler.EnqueueRequestsFromMapFunc(func(context.Context, client.Object) []reconcile.Request {
		return []reconcile.Request{provisionRequest}
	})
	// A Service of ours, or one that holds (or held) the name of ours: deleting
	// a namesake frees the name.
	services := predicate.NewPredicateFuncs(func(obj client.Object) bool {
		return obj.GetLabels()[compiler.LabelManagedBy] == compiler.ManagedByTurnpike ||
			strings.HasPrefix(obj.GetName(), compiler.GatewayServiceNamePrefix)
	})
	endpointSlices := predicate.NewPredicateFuncs(func(obj client.Object) bool {
		return obj.GetLabels()[discoveryv1.LabelManagedBy] == endpointSliceManager
	})
	pods := source.Kind(podCache, &corev1.Pod{}, handler.TypedEnqueueRequestsFromMapFunc(
		func(context.Context, *corev1.Pod) []reconcile.Request { return []reconcile.Request{provisionRequest} }))
	err = ctrl.NewControllerManagedBy(mgr).
		Named("gatewayservice").
		Watches(&gwapiv1.Gateway{}, all, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&gwapiv1.GatewayClass{}, all, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&corev1.Service{}, all, builder.WithPredicates(services, predicate.ResourceVersionChangedPredicate{})).
		Watches(&discoveryv1.EndpointSlice{}, all, builder.WithPredicates(endpointSlices, predicate.ResourceVersionChangedPredicate{})).
		Watches(&corev1.ConfigMap{}, all, builder.WithPredicates(namedByGatewayClass(mgr.GetClient()), predicate.ResourceVersionChangedPredicate{})).
		WatchesRawSource(pods).
		WithOptions(controller.Options{NeedLeaderElection: ptr.To(true), MaxConcurrentReconciles: 1}).
		Complete(provisioner)
	if err != nil {
		return fmt.Errorf("setting up the gatewayservice controller: %w", err)
	}
	return nil
}
