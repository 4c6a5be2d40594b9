package controllers

import (
	"errors"
	"fmt"

	"github.com/go-logr/logr"
	ctrl "sigs.k8s.io/controller-runtime"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/turnpike-gateway/turnpike/controllers/compiler"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// Options wire the in-cluster pipeline.
type Options struct {
	// Publisher is this replica's data plane.
	Publisher snapshot.Publisher
	// ControllerName selects the GatewayClasses to serve (compiler.ControllerName
	// when empty).
	ControllerName gwapiv1.GatewayController
	// Binder is the binding strategy of the run mode.
	Binder compiler.Binder
	// GatewayServices, when set, makes the leader provision one Service per
	// Gateway, and the listeners bind the container ports those Services map onto
	// (compiler.ServiceBinder); Binder must then be nil.
	GatewayServices *GatewayServiceOptions
	Log             logr.Logger
}

// Setup adds the whole in-cluster pipeline to a manager: the thin reconcilers, the
// compile loop (every replica), the status writer (leader only) and, with
// GatewayServices, the provisioner of per-Gateway Services (leader only). cmd and the
// integration tests wire through this one function, so the tests exercise what ships.
func Setup(mgr ctrl.Manager, opts Options) (*CompileLoop, error) {
	if opts.ControllerName == "" {
		opts.ControllerName = compiler.ControllerName
	}
	if opts.GatewayServices != nil {
		if opts.Binder != nil {
			return nil, errors.New("per-Gateway Services choose the binding; Options.Binder must be nil")
		}
		opts.Binder = compiler.ServiceBinder{Ports: opts.GatewayServices.Ports}
	}
	writer := NewStatusWriter(mgr.GetClient(), opts.ControllerName, opts.Log.WithName("status"))
	loop := NewCompileLoop(LoopOptions{
		Source:         CacheSource(mgr.GetClient()),
		WaitForSync:    mgr.GetCache().WaitForCacheSync,
		Publisher:      opts.Publisher,
		Status:         writer,
		ControllerName: opts.ControllerName,
		Binder:         opts.Binder,
		Log:            opts.Log.WithName("compile"),
	})
	if err := mgr.Add(loop); err != nil {
		return nil, fmt.Errorf("adding the compile loop: %w", err)
	}
	if err := mgr.Add(writer); err != nil {
		return nil, fmt.Errorf("adding the status writer: %w", err)
	}
	if err := SetupReconcilers(mgr, loop); err != nil {
		return nil, err
	}
	if opts.GatewayServices != nil {
		if err := SetupGatewayServices(mgr, opts.ControllerName, *opts.GatewayServices, opts.Log.WithName("gatewayservice")); err != nil {
			return nil, err
		}
	}
	return loop, nil
}
