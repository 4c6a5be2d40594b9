package controllers

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	tpv1a1 "github.com/turnpike-gateway/turnpike/api/v1alpha1"
	"github.com/turnpike-gateway/turnpike/controllers/compiler"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// ReportSink receives each status report after its snapshot is live in the data plane.
type ReportSink interface {
	Update(report *compiler.Report)
}

// LoopOptions configure a CompileLoop.
type LoopOptions struct {
	// Source reads every object the compiler needs: the informer caches in a
	// cluster (CacheSource), the YAML directory in standalone mode.
	Source func(ctx context.Context) (compiler.Input, error)
	// WaitForSync blocks until the informer caches have synced; nothing is compiled
	// before it returns true.
	WaitForSync func(ctx context.Context) bool
	// Publisher is this replica's data plane.
	Publisher snapshot.Publisher
	// Status receives reports; nil in tests that only look at snapshots.
	Status ReportSink
	// ControllerName and Binder are passed to the compiler.
	ControllerName gwapiv1.GatewayController
	Binder         compiler.Binder
	// Debounce is how long the loop waits for more events before compiling;
	// MaxDelay bounds how long a steady stream of events can postpone a compile.
	Debounce time.Duration
	MaxDelay time.Duration
	Log      logr.Logger
}

// CompileLoop compiles everything whenever anything changes. It is level-based:
// an event carries no data, only "look again", so a burst of events becomes one
// compile and a missed event is healed by the next one.
type CompileLoop struct {
	opts       LoopOptions
	trigger    chan struct{}
	generation uint64
	// bindRetry is the wait before compiling again after a socket failed to
	// bind; zero while every socket is bound.
	bindRetry time.Duration
	// lastValidAuth is, per AuthPolicy, the last object a report said was
	// Accepted: the compiler enforces it in place of a version that is Invalid,
	// so that a bad edit never opens a route it protected. Objects from the
	// cache are never modified (an update replaces them), so a shallow copy
	// shares their spec safely; it is a copy only so that it does not keep the
	// whole list it came from alive.
	lastValidAuth map[types.NamespacedName]*tpv1a1.AuthPolicy

	// changedAt is when the first change event since the last compile started
	// arrived (Unix nanoseconds, zero when none), for turnpike_change_to_live_seconds.
	changedAt atomic.Int64
	metrics   *loopMetrics
}

// Bounds of the retry after a socket failed to bind (a port still held by a
// process that is shutting down, an address not yet configured): soon at first,
// then less and less often.
const (
	minBindRetry = time.Second
	maxBindRetry = 30 * time.Second
)

// NewCompileLoop returns a loop; run it with Start (it is a manager Runnable).
func NewCompileLoop(opts LoopOptions) *CompileLoop {
	if opts.Debounce <= 0 {
		opts.Debounce = 20 * time.Millisecond
	}
	if opts.MaxDelay <= 0 {
		opts.MaxDelay = 200 * time.Millisecond
	}
	return &CompileLoop{opts: opts, trigger: make(chan struct{}, 1), lastValidAuth: map[types.NamespacedName]*tpv1a1.AuthPolicy{},
		metrics: newLoopMetrics()}
}

// Trigger asks for a compile soon. It never blocks.
func (l *CompileLoop) Trigger() {
	l.changedAt.CompareAndSwap(0, time.Now().UnixNano())
	l.wake()
}

// wake asks for a compile without a change behind it (a bind retry), so that
// the wait does not count as a change waiting to go live.
func (l *CompileLoop) wake() {
	select {
	case l.trigger <- struct{}{}:
	default:
	}
}

// NeedLeaderElection is false: every replica compiles and serves.
func (l *CompileLoop) NeedLeaderElection() bool { return false }

// Start runs the loop until ctx is done.
func (l *CompileLoop) Start(ctx context.Context) error {
	if l.opts.WaitForSync != nil && !l.opts.WaitForSync(ctx) {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("informer caches did not sync")
	}
	l.Trigger() // the first snapshot does not wait for an event
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-l.trigger:
		}
		if !l.settle(ctx) {
			return nil
		}
		if err := l.compileOnce(ctx); err != nil {
			// The last good snapshot keeps serving; the next event retries.
			l.opts.Log.Error(err, "Compile failed; the previous snapshot keeps serving")
		}
	}
}

// nextBindRetry doubles the wait before the next bind attempt, within bounds.
func (l *CompileLoop) nextBindRetry() time.Duration {
	if l.bindRetry == 0 {
		l.bindRetry = minBindRetry
	} else {
		l.bindRetry = min(2*l.bindRetry, maxBindRetry)
	}
	return l.bindRetry
}

// settle waits until no event arrived for Debounce, or MaxDelay passed.
func (l *CompileLoop) settle(ctx context.Context) bool {
	deadline := time.NewTimer(l.opts.MaxDelay)
	defer deadline.Stop()
	quiet := time.NewTimer(l.opts.Debounce)
	defer quiet.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-deadline.C:
			return true
		case <-quiet.C:
			return true
		case <-l.trigger:
			if !quiet.Stop() {
				<-quiet.C
			}
			quiet.Reset(l.opts.Debounce)
		}
	}
}

func (l *CompileLoop) compileOnce(ctx context.Context) error {
	started := time.Now()
	// The events that arrive from here on are covered by the next compile.
	var changedAt time.Time
	if nanos := l.changedAt.Swap(0); nanos != 0 {
		changedAt = time.Unix(0, nanos)
	}
	in, err := l.opts.Source(ctx)
	if err != nil {
		l.metrics.compiles.WithLabelValues("error").Inc()
		return err
	}
	in.ControllerName = l.opts.ControllerName
	in.Binder = l.opts.Binder
	in.LastValidAuthPolicies = l.lastValidAuth
	snap, report := compiler.Compile(in)
	l.rememberValidAuthPolicies(in.AuthPolicies, &report)
	l.generation++
	snap.Generation = l.generation
	result := l.opts.Publisher.Publish(snap)
	l.metrics.published(snap, result, started, changedAt)
	compiler.ApplyPublishResult(&report, result)
	if len(result.BindErrors) > 0 {
		// Nothing else may change for a long time, so the loop asks itself to
		// look again; status says Programmed=False until the socket is bound.
		retry := l.nextBindRetry()
		for key, bindErr := range result.BindErrors {
			l.opts.Log.Error(bindErr, "Listener socket could not be bound; retrying", "socket", key, "after", retry)
		}
		time.AfterFunc(retry, l.wake)
	} else {
		l.bindRetry = 0
	}
	l.opts.Log.V(1).Info("Snapshot published", "generation", snap.Generation,
		"listeners", len(snap.Listeners), "duration", time.Since(started))
	if l.opts.Status != nil {
		l.opts.Status.Update(&report)
	}
	return nil
}

// rememberValidAuthPolicies keeps, per AuthPolicy, the object the report says is
// Accepted, and forgets the policies that are gone or were deleted and created
// again (another UID): a new object must earn its own valid version.
func (l *CompileLoop) rememberValidAuthPolicies(policies []*tpv1a1.AuthPolicy, report *compiler.Report) {
	present := make(map[types.NamespacedName]bool, len(policies))
	for _, policy := range policies {
		if policy == nil {
			continue
		}
		key := types.NamespacedName{Namespace: policy.Namespace, Name: policy.Name}
		present[key] = true
		last := l.lastValidAuth[key]
		switch result := report.AuthPolicies[key]; {
		case result != nil && meta.IsStatusConditionTrue(result.Conditions, string(gwapiv1.PolicyConditionAccepted)):
			if last == nil || last.UID != policy.UID || last.ResourceVersion != policy.ResourceVersion || policy.ResourceVersion == "" {
				kept := *policy
				l.lastValidAuth[key] = &kept
			}
		case last != nil && last.UID != policy.UID:
			delete(l.lastValidAuth, key)
		}
	}
	for key := range l.lastValidAuth {
		if !present[key] {
			delete(l.lastValidAuth, key)
		}
	}
}

// CacheSource lists every kind from a controller-runtime cache-backed reader. The
// objects are the cache's own (no deep copy, which matters with thousands of routes);
// the compiler promises not to modify them.
func CacheSource(reader client.Reader) func(ctx context.Context) (compiler.Input, error) {
	return func(ctx context.Context) (compiler.Input, error) {
		var (
			in         compiler.Input
			classes    gwapiv1.GatewayClassList
			gateways   gwapiv1.GatewayList
			routes     gwapiv1.HTTPRouteList
			grants     gwapiv1.ReferenceGrantList
			services   corev1.ServiceList
			slices     discoveryv1.EndpointSliceList
			secrets    corev1.SecretList
			namespaces corev1.NamespaceList
			configMaps corev1.ConfigMapList
			rateLimits tpv1a1.RateLimitPolicyList
			auths      tpv1a1.AuthPolicyList
		)
		lists := []client.ObjectList{&classes, &gateways, &routes, &grants, &services, &slices, &secrets, &namespaces, &configMaps, &rateLimits, &auths}
		for _, list := range lists {
			if err := reader.List(ctx, list, client.UnsafeDisableDeepCopy); err != nil {
				return in, fmt.Errorf("listing %T from the cache: %w", list, err)
			}
		}
		in.GatewayClasses = pointers(classes.Items)
		in.Gateways = pointers(gateways.Items)
		in.HTTPRoutes = pointers(routes.Items)
		in.ReferenceGrants = pointers(grants.Items)
		in.Services = pointers(services.Items)
		in.EndpointSlices = pointers(slices.Items)
		in.Secrets = pointers(secrets.Items)
		in.Namespaces = pointers(namespaces.Items)
		in.ConfigMaps = pointers(configMaps.Items)
		in.RateLimitPolicies = pointers(rateLimits.Items)
		in.AuthPolicies = pointers(auths.Items)
		return in, nil
	}
}

func pointers[T any](items []T) []*T {
	out := make([]*T, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out
}
