package controllers

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/turnpike-gateway/turnpike/controllers/compiler"
)

// StatusWriter writes the compiler's reports to the API server. It runs on the
// elected leader only. It always writes the newest report it has been given and
// skips objects whose stored status already says the same, so a steady state costs
// no API calls.
type StatusWriter struct {
	client         client.Client
	controllerName gwapiv1.GatewayController
	log            logr.Logger
	latest         atomic.Pointer[compiler.Report]
	wake           chan struct{}
	now            func() metav1.Time
}

// NewStatusWriter returns a writer that reads through and writes with c.
func NewStatusWriter(c client.Client, controllerName gwapiv1.GatewayController, log logr.Logger) *StatusWriter {
	if controllerName == "" {
		controllerName = compiler.ControllerName
	}
	return &StatusWriter{
		client:         c,
		controllerName: controllerName,
		log:            log,
		wake:           make(chan struct{}, 1),
		now:            metav1.Now,
	}
}

// Update hands the writer a report whose snapshot is live. It never blocks; a report
// that arrives while an older one is being written replaces it.
func (w *StatusWriter) Update(report *compiler.Report) {
	w.latest.Store(report)
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// NeedLeaderElection is true: only the leader writes status.
func (w *StatusWriter) NeedLeaderElection() bool { return true }

// Start writes reports until ctx is done, retrying failed writes with backoff.
func (w *StatusWriter) Start(ctx context.Context) error {
	const minBackoff, maxBackoff = 500 * time.Millisecond, 30 * time.Second
	backoff := minBackoff
	retry := time.NewTimer(0) // a new leader writes what it has at once
	defer retry.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-w.wake:
		case <-retry.C:
		}
		report := w.latest.Load()
		if report == nil {
			continue
		}
		if failed := w.writeAll(ctx, report); failed > 0 {
			w.log.Info("Some status writes failed; retrying", "failed", failed, "after", backoff)
			retry.Reset(backoff)
			backoff = min(backoff*2, maxBackoff)
			continue
		}
		backoff = minBackoff
	}
}

// writeAll writes every object of the report and returns how many writes failed.
func (w *StatusWriter) writeAll(ctx context.Context, report *compiler.Report) int {
	failed := 0
	for name := range report.GatewayClasses {
		failed += w.writeOne(ctx, &gwapiv1.GatewayClass{}, types.NamespacedName{Name: name}, report)
	}
	for key := range report.Gateways {
		failed += w.writeOne(ctx, &gwapiv1.Gateway{}, key, report)
	}
	failed += w.writeRoutes(ctx, report)
	failed += w.writePolicies(ctx, report)
	return failed
}

// writeRoutes visits every HTTPRoute, not only those in the report: a route that no
// longer attaches to a Turnpike Gateway must lose the parent entries we wrote.
func (w *StatusWriter) writeRoutes(ctx context.Context, report *compiler.Report) int {
	var routes gwapiv1.HTTPRouteList
	if err := w.client.List(ctx, &routes, client.UnsafeDisableDeepCopy); err != nil {
		if ctx.Err() != nil {
			return 1
		}
		w.log.Error(err, "Listing HTTPRoutes for status failed")
		return 1
	}
	failed := 0
	for i := range routes.Items {
		key := client.ObjectKeyFromObject(&routes.Items[i])
		res := report.HTTPRoutes[key]
		if res == nil && !hasParentsOf(routes.Items[i].Status.Parents, w.controllerName) {
			continue
		}
		failed += w.writeOne(ctx, &gwapiv1.HTTPRoute{}, key, report)
	}
	return failed
}

// writeOne reads the object, merges the report into its status (applyTo), and
// writes it if that changed anything. A conflict or any other error counts as one
// failure to retry.
func (w *StatusWriter) writeOne(ctx context.Context, obj client.Object, key types.NamespacedName, report *compiler.Report) int {
	if err := w.client.Get(ctx, key, obj); err != nil {
		if apierrors.IsNotFound(err) {
			return 0 // deleted since the compile; nothing to report on
		}
		if ctx.Err() != nil {
			return 1
		}
		w.log.Error(err, "Reading object for status failed", "kind", fmt.Sprintf("%T", obj), "object", key)
		return 1
	}
	if !w.applyTo(obj, report) {
		return 0
	}
	if err := w.client.Status().Update(ctx, obj); err != nil {
		if apierrors.IsNotFound(err) {
			return 0
		}
		if ctx.Err() != nil {
			return 1 // shutting down: the next leader writes what this one could not
		}
		if !apierrors.IsConflict(err) {
			w.log.Error(err, "Writing status failed", "kind", fmt.Sprintf("%T", obj), "object", key)
		}
		return 1
	}
	w.log.V(1).Info("Status written", "kind", fmt.Sprintf("%T", obj), "object", key)
	return 0
}

func (w *StatusWriter) mergeGatewayClass(gc *gwapiv1.GatewayClass, res *compiler.GatewayClassResult) bool {
	before := gc.Status.DeepCopy()
	gc.Status.Conditions = mergeConditions(gc.Status.Conditions, res.Conditions, w.now())
	gc.Status.SupportedFeatures = res.SupportedFeatures
	return !equality.Semantic.DeepEqual(before, &gc.Status)
}

func (w *StatusWriter) mergeGateway(gw *gwapiv1.Gateway, res *compiler.GatewayResult) bool {
	before := gw.Status.DeepCopy()
	now := w.now()
	gw.Status.Conditions = mergeConditions(gw.Status.Conditions, res.Conditions, now)
	gw.Status.Addresses = res.Addresses
	listeners := make([]gwapiv1.ListenerStatus, 0, len(res.Listeners))
	for _, desired := range res.Listeners {
		var existing []metav1.Condition
		for _, old := range before.Listeners {
			if old.Name == desired.Name {
				existing = old.Conditions
			}
		}
		desired.Conditions = mergeConditions(existing, desired.Conditions, now)
		listeners = append(listeners, desired)
	}
	gw.Status.Listeners = listeners
	return !equality.Semantic.DeepEqual(before, &gw.Status)
}

func (w *StatusWriter) mergeHTTPRoute(route *gwapiv1.HTTPRoute, res *compiler.HTTPRouteResult) bool {
	before := route.Status.DeepCopy()
	var desired []gwapiv1.RouteParentStatus
	if res != nil {
		desired = res.Parents
	}
	route.Status.Parents = mergeRouteParents(before.Parents, desired, w.controllerName, w.now())
	return !equality.Semantic.DeepEqual(before, &route.Status)
}
