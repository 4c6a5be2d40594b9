package telemetry

import (
	"cmp"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// RouteKey identifies what one RouteMetrics counts: one rule of one route as
// served by one Gateway. Requests that matched no route count under the
// Gateway's key with empty Route and Rule; requests that reached no Gateway
// listener at all (or could not be read) under the zero key.
type RouteKey struct {
	// Gateway is "namespace/name".
	Gateway string
	// Route is "<kind>/<namespace>/<name>" ("httproute/default/shop").
	Route string
	// Rule is the rule's index in the route.
	Rule string
}

// BackendKey identifies what one BackendMetrics counts: a backend of a rule.
type BackendKey struct {
	RouteKey
	// Backend is "namespace/service:port".
	Backend string
}

// RouteMetrics count the requests of one RouteKey. Its histograms and byte
// counts are created by the first request that needs them, like the cells of
// Requests: a rule that never sees traffic costs a few pointers, not a
// kilobyte. That first request allocates once.
type RouteMetrics struct {
	// Requests counts the requests that ended before a backend was chosen
	// (denied, limited, no route); the others count in their BackendMetrics.
	Requests Requests
	timing   atomic.Pointer[routeTiming]
}

type routeTiming struct {
	duration, overhead          Histogram
	requestBytes, responseBytes atomic.Uint64
}

// Observe records a handled request: its duration (from the handler's start
// to the response being ready to write), the part of it that was Turnpike's
// own (the duration minus the time waiting for the backend), and its body
// sizes.
func (m *RouteMetrics) Observe(duration, overhead time.Duration, requestBytes, responseBytes int) {
	t := m.timing.Load()
	if t == nil {
		t = install(&m.timing)
	}
	t.duration.Observe(duration)
	t.overhead.Observe(overhead)
	t.requestBytes.Add(uint64(max(requestBytes, 0)))
	t.responseBytes.Add(uint64(max(responseBytes, 0)))
}

// BackendMetrics count the requests of one rule that chose one backend. Its
// histogram is created by the first request sent, like RouteMetrics'.
type BackendMetrics struct {
	// Requests counts them whatever happened next: forwarded, or failed with
	// no endpoints or an upstream error.
	Requests Requests
	upstream atomic.Pointer[Histogram]
}

// ObserveUpstream records how long a backend took, from sending the request
// to having its response (or giving up).
func (m *BackendMetrics) ObserveUpstream(d time.Duration) {
	h := m.upstream.Load()
	if h == nil {
		h = install(&m.upstream)
	}
	h.Observe(d)
}

// Registry owns the metrics of every route and backend, across snapshots.
// A Builder prepares those of a snapshot: keys the last snapshot had keep
// their metrics, new keys start at zero, and keys that left are forgotten
// (a route that comes back starts at zero, which Prometheus reads as a reset).
type Registry struct {
	unattributed *RouteMetrics

	// mu guards the maps; Builders run one at a time (Publish is serialised),
	// the lock keeps Stats consistent with them.
	mu       sync.Mutex
	routes   map[RouteKey]*RouteMetrics
	backends map[BackendKey]*BackendMetrics
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{
		unattributed: new(RouteMetrics),
		routes:       map[RouteKey]*RouteMetrics{},
		backends:     map[BackendKey]*BackendMetrics{},
	}
}

// Unattributed returns the metrics of requests that reached no Gateway
// listener or could not be read (the zero RouteKey). They are never forgotten.
// A nil Registry has none.
func (r *Registry) Unattributed() *RouteMetrics {
	if r == nil {
		return nil
	}
	return r.unattributed
}

// Builder collects the metrics one snapshot uses.
type Builder struct {
	r        *Registry
	routes   map[RouteKey]*RouteMetrics
	backends map[BackendKey]*BackendMetrics
}

// NewBuilder starts preparing a snapshot. A nil Registry (metrics turned off)
// gives a nil Builder, whose methods return nil.
func (r *Registry) NewBuilder() *Builder {
	if r == nil {
		return nil
	}
	return &Builder{r: r, routes: map[RouteKey]*RouteMetrics{}, backends: map[BackendKey]*BackendMetrics{}}
}

// Route returns the metrics of key: the same pointer for every call with an
// equal key, and the one the registry already holds, if any.
func (b *Builder) Route(key RouteKey) *RouteMetrics {
	if b == nil {
		return nil
	}
	if key == (RouteKey{}) {
		return b.r.unattributed
	}
	if m, ok := b.routes[key]; ok {
		return m
	}
	b.r.mu.Lock()
	m, ok := b.r.routes[key]
	b.r.mu.Unlock()
	if !ok {
		m = new(RouteMetrics)
	}
	b.routes[key] = m
	return m
}

// Backend is Route for a backend.
func (b *Builder) Backend(key BackendKey) *BackendMetrics {
	if b == nil {
		return nil
	}
	if m, ok := b.backends[key]; ok {
		return m
	}
	b.r.mu.Lock()
	m, ok := b.r.backends[key]
	b.r.mu.Unlock()
	if !ok {
		m = new(BackendMetrics)
	}
	b.backends[key] = m
	return m
}

// Commit makes the builder's metrics the registry's: what it did not ask for
// is no longer reported. Requests still in flight on the previous snapshot may
// add to forgotten metrics; those additions are lost.
func (b *Builder) Commit() {
	if b == nil {
		return
	}
	b.r.mu.Lock()
	b.r.routes, b.r.backends = b.routes, b.backends
	b.r.mu.Unlock()
}

// RequestCount is one series of the request counter.
type RequestCount struct {
	BackendKey
	Method  Method
	Class   Class
	Outcome Outcome
	Count   uint64
}

// HistogramSample is one histogram with its labels; Backend is empty for
// the histograms of a route.
type HistogramSample struct {
	BackendKey
	HistogramCounts
}

// ByteCount is the body bytes of one route.
type ByteCount struct {
	RouteKey
	Request, Response uint64
}

// Stats is everything the registry counted, for metrics. Only what saw a
// request is listed: a route nobody called costs no series.
type Stats struct {
	Requests []RequestCount
	// Durations and Overheads are per RouteKey; Upstreams per BackendKey.
	Durations, Overheads, Upstreams []HistogramSample
	Bytes                           []ByteCount
}

// Stats reads every metric, sorted by key. A nil Registry has none.
func (r *Registry) Stats() Stats {
	var s Stats
	if r == nil {
		return s
	}
	r.mu.Lock()
	routes := make(map[RouteKey]*RouteMetrics, len(r.routes)+1)
	for k, m := range r.routes {
		routes[k] = m
	}
	routes[RouteKey{}] = r.unattributed
	backends := make(map[BackendKey]*BackendMetrics, len(r.backends))
	for k, m := range r.backends {
		backends[k] = m
	}
	r.mu.Unlock()

	for k, m := range routes {
		key := BackendKey{RouteKey: k}
		m.Requests.visit(func(o Outcome, meth Method, c Class, n uint64) {
			s.Requests = append(s.Requests, RequestCount{BackendKey: key, Method: meth, Class: c, Outcome: o, Count: n})
		})
		t := m.timing.Load()
		if t == nil {
			continue
		}
		if d := t.duration.Read(); d.Count > 0 {
			s.Durations = append(s.Durations, HistogramSample{key, d})
		}
		if d := t.overhead.Read(); d.Count > 0 {
			s.Overheads = append(s.Overheads, HistogramSample{key, d})
		}
		if in, out := t.requestBytes.Load(), t.responseBytes.Load(); in > 0 || out > 0 {
			s.Bytes = append(s.Bytes, ByteCount{RouteKey: k, Request: in, Response: out})
		}
	}
	for k, m := range backends {
		m.Requests.visit(func(o Outcome, meth Method, c Class, n uint64) {
			s.Requests = append(s.Requests, RequestCount{BackendKey: k, Method: meth, Class: c, Outcome: o, Count: n})
		})
		if h := m.upstream.Load(); h != nil {
			if d := h.Read(); d.Count > 0 {
				s.Upstreams = append(s.Upstreams, HistogramSample{k, d})
			}
		}
	}
	slices.SortFunc(s.Requests, func(a, b RequestCount) int {
		return cmp.Or(compareKeys(a.BackendKey, b.BackendKey), cmp.Compare(a.Outcome, b.Outcome),
			cmp.Compare(a.Method, b.Method), cmp.Compare(a.Class, b.Class))
	})
	for _, hs := range [][]HistogramSample{s.Durations, s.Overheads, s.Upstreams} {
		slices.SortFunc(hs, func(a, b HistogramSample) int { return compareKeys(a.BackendKey, b.BackendKey) })
	}
	slices.SortFunc(s.Bytes, func(a, b ByteCount) int {
		return compareKeys(BackendKey{RouteKey: a.RouteKey}, BackendKey{RouteKey: b.RouteKey})
	})
	return s
}

func compareKeys(a, b BackendKey) int {
	return cmp.Or(cmp.Compare(a.Gateway, b.Gateway), cmp.Compare(a.Route, b.Route),
		cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Backend, b.Backend))
}
