package controllers

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// loopMetrics are what the compile loop measures of itself: how long compiling
// takes, how long a change waits before it is live, and what the live snapshot
// holds. They are registered by whoever serves /metrics (Collectors).
type loopMetrics struct {
	compiles     *prometheus.CounterVec
	compileTime  prometheus.Histogram
	changeToLive prometheus.Histogram
	generation   prometheus.Gauge
	listeners    prometheus.Gauge
	routes       prometheus.Gauge
	bindErrors   prometheus.Gauge
}

// Buckets from a millisecond to a minute: compiles of a few routes take
// milliseconds, of 10,000 routes a few hundred, and a change waits at least the
// debounce (20 ms).
var loopBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

func newLoopMetrics() *loopMetrics {
	m := &loopMetrics{
		compiles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "turnpike_compiles_total",
			Help: "Compiles of the whole configuration, by result: published, or error when the objects could not be read (the previous snapshot keeps serving).",
		}, []string{"result"}),
		compileTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "turnpike_compile_duration_seconds",
			Help:    "Time to read every object, compile them into a snapshot and publish it to this replica's data plane.",
			Buckets: loopBuckets,
		}),
		changeToLive: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "turnpike_change_to_live_seconds",
			Help:    "Time from the first change event a compile covers (an informer event, a file change) to its snapshot being live in this replica's data plane.",
			Buckets: loopBuckets,
		}),
		generation: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "turnpike_snapshot_generation",
			Help: "Generation of the live snapshot in this replica; it increases by one per publish.",
		}),
		listeners: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "turnpike_snapshot_sockets",
			Help: "Sockets (address and port) the live snapshot serves.",
		}),
		routes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "turnpike_snapshot_routes",
			Help: "Route matches the live snapshot serves, counted once per listener and hostname they serve on.",
		}),
		bindErrors: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "turnpike_snapshot_bind_errors",
			Help: "Sockets of the live snapshot that could not be bound (their listeners are not Programmed; the loop retries).",
		}),
	}
	// Both results exist from the start, so that a rate over them is defined.
	m.compiles.WithLabelValues("published")
	m.compiles.WithLabelValues("error")
	return m
}

// Collectors returns the loop's metrics, for the /metrics registry.
func (l *CompileLoop) Collectors() []prometheus.Collector {
	m := l.metrics
	return []prometheus.Collector{m.compiles, m.compileTime, m.changeToLive, m.generation, m.listeners, m.routes, m.bindErrors}
}

// published records one publish: its duration, how long the change that caused
// it waited (changedAt is zero for compiles no event asked for), and what the
// snapshot holds.
func (m *loopMetrics) published(snap *snapshot.Snapshot, result snapshot.PublishResult, started, changedAt time.Time) {
	now := time.Now()
	m.compiles.WithLabelValues("published").Inc()
	m.compileTime.Observe(now.Sub(started).Seconds())
	if !changedAt.IsZero() {
		m.changeToLive.Observe(now.Sub(changedAt).Seconds())
	}
	m.generation.Set(float64(snap.Generation))
	m.listeners.Set(float64(len(snap.Listeners)))
	m.bindErrors.Set(float64(len(result.BindErrors)))
	routes := 0
	for _, socket := range snap.Listeners {
		for _, gl := range socket.GatewayListeners {
			for _, vh := range gl.VirtualHosts {
				routes += len(vh.Routes)
			}
		}
	}
	m.routes.Set(float64(routes))
}
