package server

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"

	"github.com/turnpike-gateway/turnpike/dataplane/auth"
	"github.com/turnpike-gateway/turnpike/dataplane/ratelimit"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
	"github.com/turnpike-gateway/turnpike/dataplane/telemetry"
	"github.com/turnpike-gateway/turnpike/dataplane/upstream"
)

// ErrStopped is reported for every socket of a snapshot published after the data
// plane has shut down.
var ErrStopped = errors.New("data plane is shut down")

// DataPlane serves the live snapshot on its sockets.
type DataPlane struct {
	opts  Options
	log   logr.Logger
	pools *upstream.Pools
	// limits holds the rate-limit counters, across snapshots.
	limits *ratelimit.Registry
	// auth holds the JWT key sets, introspection cache and decision counters,
	// across snapshots.
	auth *auth.Runtime
	// tunnels are the upgraded (WebSocket) connections; they outlive swaps.
	tunnels *upstream.Tunnels
	// metrics holds the request counters, across snapshots; nil when off.
	metrics *telemetry.Registry
	// accessLog is nil when off.
	accessLog *telemetry.AccessLog

	// state is what requests read, once each.
	state atomic.Pointer[state]
	// stopped turns true at shutdown; Ready reads it without the lock.
	stopped atomic.Bool
	started atomic.Bool

	// mu serialises Publish and shutdown, and guards sockets.
	mu      sync.Mutex
	sockets map[string]*socket
	// draining counts sockets that a Publish removed and that are still finishing
	// their in-flight requests.
	draining sync.WaitGroup
}

var _ snapshot.Publisher = (*DataPlane)(nil)

// New returns a data plane that serves nothing until the first Publish. Sockets
// open and serve as soon as a Publish names them, whether or not Start runs;
// Start only ties the data plane's end to a context.
func New(opts Options, log logr.Logger) *DataPlane {
	opts = opts.withDefaults()
	dp := &DataPlane{
		opts:      opts,
		log:       log,
		pools:     upstream.NewPools(opts.Upstream),
		limits:    ratelimit.NewRegistry(opts.RateLimit, log.WithName("ratelimit")),
		auth:      auth.NewRuntime(authOptions(opts.Auth, log.WithName("auth"))),
		tunnels:   upstream.NewTunnels(),
		accessLog: telemetry.NewAccessLog(opts.AccessLog),
		sockets:   map[string]*socket{},
	}
	if !opts.DisableRequestMetrics {
		dp.metrics = telemetry.NewRegistry()
	}
	return dp
}

// Ready reports whether a snapshot is live, for /readyz.
func (dp *DataPlane) Ready() bool {
	return dp.state.Load() != nil && !dp.stopped.Load()
}

// NeedLeaderElection is false: every replica serves traffic.
func (dp *DataPlane) NeedLeaderElection() bool { return false }

// Start serves until ctx is done, then drains every socket (see
// Options.DrainTimeout) and closes the upstream pools. It returns an error when
// the drain had to close connections that were still busy. Start may be called
// once.
func (dp *DataPlane) Start(ctx context.Context) error {
	if !dp.started.CompareAndSwap(false, true) {
		return errors.New("data plane already started")
	}
	sweep := time.NewTicker(dp.opts.SweepInterval)
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			return dp.shutdown()
		case <-sweep.C:
			if closed := dp.pools.Sweep(); closed > 0 {
				dp.log.V(1).Info("Closed pools of endpoints that left the snapshot", "count", closed)
			}
		}
	}
}

// shutdown stops every socket at once and waits for their drains.
func (dp *DataPlane) shutdown() error {
	dp.mu.Lock()
	dp.stopped.Store(true)
	sockets := dp.sockets
	dp.sockets = map[string]*socket{}
	for _, s := range sockets {
		s.stopAccepting()
	}
	dp.mu.Unlock()
	dp.log.Info("Draining sockets", "count", len(sockets), "timeout", dp.opts.DrainTimeout.String())

	// Tunnels (WebSockets) drain alongside the sockets: they get the same time to
	// end by themselves, then whatever is left is closed.
	tunnelsClosed := make(chan int, 1)
	go func() { tunnelsClosed <- dp.tunnels.Close(dp.opts.DrainTimeout) }()
	errs := make(chan error, len(sockets))
	for _, s := range sockets {
		go func() { errs <- s.drain(dp.opts.DrainTimeout) }()
	}
	var all []error
	for range sockets {
		if err := <-errs; err != nil {
			all = append(all, err)
		}
	}
	dp.draining.Wait()
	if n := <-tunnelsClosed; n > 0 {
		dp.log.Info("Closed upgraded connections still open at the end of the drain", "count", n)
	}
	dp.pools.Close()
	dp.auth.Close()
	// Last: every request that could log has finished.
	dp.accessLog.Close()
	if err := errors.Join(all...); err != nil {
		return fmt.Errorf("shutting down the data plane: %w", err)
	}
	dp.log.Info("Data plane stopped")
	return nil
}
