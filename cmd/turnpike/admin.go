package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	dpserver "github.com/turnpike-gateway/turnpike/dataplane/server"
)

// adminServer serves the operator's endpoints on the admin port, in every mode:
// /healthz answers 200 while the process runs; /readyz answers 200 only once the
// first snapshot is live and until shutdown begins, so a load balancer never sends
// traffic to a replica that has nothing to serve or is draining; /metrics is for
// Prometheus.
type adminServer struct {
	address string
	ready   func() bool
	// registry holds the metrics this process registers itself; gatherers adds
	// other registries (controller-runtime's) to what /metrics serves.
	registry  *prometheus.Registry
	gatherers prometheus.Gatherers
	log       logr.Logger
}

func (a *adminServer) handler(ctx context.Context) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if ctx.Err() != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "shutting down")
			return
		}
		if !a.ready() {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "no snapshot is live yet")
			return
		}
		fmt.Fprintln(w, "ok")
	})
	if len(a.gatherers) > 0 {
		mux.Handle("/metrics", promhttp.HandlerFor(a.gatherers, promhttp.HandlerOpts{}))
	}
	return mux
}

// newAdminServer is the admin server of a data plane, with its metrics.
func newAdminServer(address string, dataplane *dpserver.DataPlane, log logr.Logger) (*adminServer, error) {
	registry, err := metricsRegistry(dataplane)
	if err != nil {
		return nil, fmt.Errorf("registering metrics: %w", err)
	}
	return &adminServer{address: address, ready: dataplane.Ready, registry: registry,
		gatherers: prometheus.Gatherers{registry}, log: log}, nil
}

// register adds collectors (the compile loop's) to /metrics, before Start.
func (a *adminServer) register(collectors ...prometheus.Collector) error {
	for _, c := range collectors {
		if err := a.registry.Register(c); err != nil {
			return fmt.Errorf("registering metrics: %w", err)
		}
	}
	return nil
}

// gather adds another registry's metrics to /metrics, before Start:
// controller-runtime's reconcile, work-queue and client metrics in a cluster.
func (a *adminServer) gather(g prometheus.Gatherer) { a.gatherers = append(a.gatherers, g) }

// NeedLeaderElection is false: every replica reports its own health.
func (a *adminServer) NeedLeaderElection() bool { return false }

// Start serves until ctx is done.
func (a *adminServer) Start(ctx context.Context) error {
	listener, err := net.Listen("tcp", a.address)
	if err != nil {
		return fmt.Errorf("admin server: %w", err)
	}
	server := &http.Server{Handler: a.handler(ctx), ReadHeaderTimeout: 5 * time.Second}
	a.log.Info("Admin server listening", "address", listener.Addr().String())
	errs := make(chan error, 1)
	go func() { errs <- server.Serve(listener) }()
	select {
	case err := <-errs:
		return fmt.Errorf("admin server: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := server.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("admin server shutdown: %w", err)
	}
	return nil
}
