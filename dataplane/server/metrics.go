package server

import (
	"strconv"
	"strings"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
	"github.com/turnpike-gateway/turnpike/dataplane/telemetry"
)

// routeMetrics are the counters a route's requests add to when a given Gateway
// listener accepted them. A route may be served by several listeners, of one
// Gateway or of several; each Gateway counts apart.
type routeMetrics struct {
	listener *snapshot.GatewayListener
	route    *telemetry.RouteMetrics
	// backends are parallel to the route's Backends (nil where a Backend is nil).
	backends []*telemetry.BackendMetrics
}

// metricsFor returns the counters of the route as served by gl. A route is
// attached to one or two listeners, rarely more: a scan beats a map.
func (p *routePlan) metricsFor(gl *snapshot.GatewayListener) *routeMetrics {
	for i := range p.metrics {
		if p.metrics[i].listener == gl {
			return &p.metrics[i]
		}
	}
	return nil
}

// backend returns the counters of one of route's backends.
func (m *routeMetrics) backend(route *snapshot.Route, b *snapshot.Backend) *telemetry.BackendMetrics {
	for i, candidate := range route.Backends {
		if candidate == b {
			return m.backends[i]
		}
	}
	return nil
}

// bindMetrics gives every route plan, and every Gateway listener's unrouted
// requests, their counters, reusing those of the last snapshot by identity.
func (dp *DataPlane) bindMetrics(snap *snapshot.Snapshot, st *state) {
	b := dp.metrics.NewBuilder()
	if b == nil {
		return
	}
	st.unrouted = map[*snapshot.GatewayListener]*telemetry.RouteMetrics{}
	for _, l := range snap.Listeners {
		if l == nil {
			continue
		}
		for _, gl := range l.GatewayListeners {
			if gl == nil {
				continue
			}
			st.unrouted[gl] = b.Route(telemetry.RouteKey{Gateway: gl.Gateway})
			for _, vh := range gl.VirtualHosts {
				for _, route := range vh.Routes {
					// A route without a plan belongs to a socket the router
					// skipped (a duplicate Key); it is never matched.
					if plan := st.plans[route]; plan != nil && route != nil && plan.metricsFor(gl) == nil {
						plan.metrics = append(plan.metrics, newRouteMetrics(b, gl, route))
					}
				}
			}
		}
	}
	b.Commit()
}

func newRouteMetrics(b *telemetry.Builder, gl *snapshot.GatewayListener, route *snapshot.Route) routeMetrics {
	key := routeKey(gl.Gateway, route)
	m := routeMetrics{listener: gl, route: b.Route(key), backends: make([]*telemetry.BackendMetrics, len(route.Backends))}
	for i, backend := range route.Backends {
		if backend != nil {
			m.backends[i] = b.Backend(telemetry.BackendKey{RouteKey: key, Backend: backend.Name})
		}
	}
	return m
}

// routeKey names the rule a route (one match of a rule) belongs to: the
// matches of a rule count together, since they share filters and backends and
// one series per match would only multiply series.
func routeKey(gateway string, route *snapshot.Route) telemetry.RouteKey {
	if route.RouteName == "" {
		// Built by hand (tests, tools): the ID is all there is.
		return telemetry.RouteKey{Gateway: gateway, Route: route.ID}
	}
	kind, _, _ := strings.Cut(route.ID, "/")
	return telemetry.RouteKey{
		Gateway: gateway,
		Route:   kind + "/" + route.RouteNamespace + "/" + route.RouteName,
		Rule:    strconv.Itoa(route.RuleIndex),
	}
}

// RequestMetrics returns the request counters and duration histograms of every
// route, backend and Gateway that served a request, for metrics. It is empty
// when Options.DisableRequestMetrics is set.
func (dp *DataPlane) RequestMetrics() telemetry.Stats { return dp.metrics.Stats() }

// AccessLogStats returns how many access-log lines were written and dropped.
func (dp *DataPlane) AccessLogStats() telemetry.AccessLogStats { return dp.accessLog.Stats() }
