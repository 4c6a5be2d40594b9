package server

import (
	"fmt"

	"github.com/turnpike-gateway/turnpike/dataplane/auth"
	"github.com/turnpike-gateway/turnpike/dataplane/filter"
	"github.com/turnpike-gateway/turnpike/dataplane/ratelimit"
	"github.com/turnpike-gateway/turnpike/dataplane/router"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
	"github.com/turnpike-gateway/turnpike/dataplane/telemetry"
	"github.com/turnpike-gateway/turnpike/dataplane/upstream"
)

// state is everything a request needs, built whole for one snapshot and never
// changed afterwards.
type state struct {
	generation uint64
	routes     *router.Table
	plans      map[*snapshot.Route]*routePlan
	// unrouted counts the requests a Gateway listener accepted that no route
	// matched; nil when metrics are off.
	unrouted map[*snapshot.GatewayListener]*telemetry.RouteMetrics
}

// routePlan is what runs after a route matched.
type routePlan struct {
	// auth runs the route's AuthPolicy rules; nil when it has none.
	auth *auth.Plan
	// limits are the route's rate limits; nil when it has none.
	limits  *ratelimit.Set
	filters filter.Chain
	// unservable is set when the route's filters or rate limits cannot be
	// applied; the route then answers 500 instead of forwarding without them.
	unservable bool
	target     *upstream.Target
	// metrics are the route's counters for each Gateway listener it is served
	// on (see metrics.go); empty when metrics are off.
	metrics []routeMetrics
}

// Publish makes snap live and returns once new requests are served by it.
// Sockets the snapshot newly names are bound first; a socket that cannot be bound
// is reported in BindErrors and serves nothing, the others go live. Sockets whose
// Key and protocol are unchanged stay open; an HTTPS socket's next handshakes use
// the new certificates. Sockets the snapshot no longer names stop accepting
// before Publish returns and finish their in-flight requests in the background.
// A socket whose protocol changes (HTTP to HTTPS or back) is one of those, and
// its replacement is bound as soon as it has stopped accepting: one port cannot
// be bound twice. Calls are serialised.
func (dp *DataPlane) Publish(snap *snapshot.Snapshot) snapshot.PublishResult {
	dp.mu.Lock()
	defer dp.mu.Unlock()
	if snap == nil {
		snap = &snapshot.Snapshot{}
	}

	var result snapshot.PublishResult
	fail := func(key string, err error) {
		if result.BindErrors == nil {
			result.BindErrors = map[string]error{}
		}
		result.BindErrors[key] = err
	}

	// Bind what is new before anything changes, so that failures are known.
	wanted := map[string]*snapshot.Listener{}
	var opened []*socket
	for _, l := range snap.Listeners {
		if l == nil {
			continue
		}
		key := l.Key()
		switch {
		case wanted[key] != nil:
			continue
		case dp.stopped.Load():
			fail(key, ErrStopped)
			continue
		case l.Protocol != snapshot.ProtocolHTTP && l.Protocol != snapshot.ProtocolHTTPS:
			fail(key, fmt.Errorf("protocol %q is not supported", l.Protocol))
			continue
		}
		if s, open := dp.sockets[key]; open && s.protocol != l.Protocol {
			dp.retireSocket(s)
		}
		if _, open := dp.sockets[key]; !open {
			s, err := dp.openSocket(key, l.Protocol)
			if err != nil {
				fail(key, err)
				continue
			}
			opened = append(opened, s)
		}
		wanted[key] = l
	}
	if dp.stopped.Load() {
		return result
	}

	// One store makes the whole snapshot live for every socket at once. Rate-limit
	// counters of limits that left the snapshot are dropped only then.
	st, limits := dp.buildState(snap)
	dp.state.Store(st)
	limits.Commit()

	for _, s := range opened {
		dp.sockets[s.key] = s
	}
	for key, l := range wanted {
		dp.sockets[key].update(l)
	}
	for _, s := range opened {
		s.serve(dp.log)
		dp.log.Info("Socket opened", "socket", s.key, "protocol", string(s.protocol))
	}
	for key, s := range dp.sockets {
		if wanted[key] == nil {
			dp.retireSocket(s)
		}
	}
	dp.pools.Sweep()
	dp.log.V(1).Info("Snapshot live", "generation", snap.Generation, "sockets", len(dp.sockets), "bindErrors", len(result.BindErrors))
	return result
}

// retireSocket removes s from the live sockets: it stops accepting now and
// finishes its in-flight requests in the background. Called with dp.mu held.
func (dp *DataPlane) retireSocket(s *socket) {
	delete(dp.sockets, s.key)
	s.stopAccepting()
	dp.draining.Add(1)
	go func() {
		defer dp.draining.Done()
		if err := s.drain(dp.opts.DrainTimeout); err != nil {
			dp.log.Error(err, "Removed socket did not drain in time", "socket", s.key)
			return
		}
		dp.log.Info("Socket closed", "socket", s.key)
	}()
}

// buildState compiles everything per route ahead of the first request. The
// returned Builder is committed once the state is live.
func (dp *DataPlane) buildState(snap *snapshot.Snapshot) (*state, *ratelimit.Builder) {
	routes := router.New(snap)
	limits := dp.limits.NewBuilder()
	targets := dp.pools.Targets(routes.Routes())
	st := &state{
		generation: snap.Generation,
		routes:     routes,
		plans:      make(map[*snapshot.Route]*routePlan, len(routes.Routes())),
	}
	for _, route := range routes.Routes() {
		plan := &routePlan{target: targets.For(route)}
		chain, err := filter.Build(route.Filters)
		if err != nil {
			plan.unservable = true
			dp.log.Error(err, "Route cannot be served as configured; it answers 500", "route", route.ID)
		}
		plan.filters = chain
		if plan.limits, err = limits.Limits(route.RateLimits); err != nil {
			plan.unservable = true
			dp.log.Error(err, "Route's rate limits cannot be enforced; it answers 500", "route", route.ID)
		}
		for _, b := range route.Backends {
			if b != nil && b.Invalid != "" && b.Weight > 0 {
				dp.log.V(1).Info("Backend is invalid; requests sent to it are answered 500",
					"route", route.ID, "backend", b.Name, "reason", b.Invalid)
			}
		}
		st.plans[route] = plan
	}
	dp.buildAuthPlans(st)
	dp.bindMetrics(snap, st)
	return st, limits
}
