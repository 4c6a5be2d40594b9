package main

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/turnpike-gateway/turnpike/dataplane/auth"
	"github.com/turnpike-gateway/turnpike/dataplane/expr"
	"github.com/turnpike-gateway/turnpike/dataplane/ratelimit"
	"github.com/turnpike-gateway/turnpike/dataplane/telemetry"
)

// dataPlaneStats is what the data plane counts for metrics.
type dataPlaneStats interface {
	RateLimitStats() ratelimit.Stats
	AuthDecisions() []auth.DecisionCount
	RequestMetrics() telemetry.Stats
	AccessLogStats() telemetry.AccessLogStats
}

// dataPlaneCollector turns the data plane's own counters into Prometheus metrics
// when they are scraped, so the request path never touches a Prometheus type.
type dataPlaneCollector struct {
	stats dataPlaneStats

	counters, evictions, activeEvictions, redisErrors, redisFallbacks, exprFailures, authDecisions *prometheus.Desc

	// http are the request metrics and the access log's.
	http httpDescs
}

func newDataPlaneCollector(stats dataPlaneStats) *dataPlaneCollector {
	return &dataPlaneCollector{
		stats: stats,
		authDecisions: prometheus.NewDesc("turnpike_auth_decisions_total",
			"Requests decided by an AuthPolicy rule, by policy (namespace/name), rule and outcome.",
			[]string{"policy", "rule", "outcome"}, nil),
		counters: prometheus.NewDesc("turnpike_ratelimit_counters",
			"Rate-limit counters held in process memory for the live limits.", nil, nil),
		evictions: prometheus.NewDesc("turnpike_ratelimit_evictions_total",
			"Counters forgotten to stay under --rate-limit-max-counters.", nil, nil),
		activeEvictions: prometheus.NewDesc("turnpike_ratelimit_active_evictions_total",
			"Evicted counters that still had requests in a window (their clients may get a fresh allowance).", nil, nil),
		redisErrors: prometheus.NewDesc("turnpike_ratelimit_redis_errors_total",
			"Failed calls to the Redis that holds shared rate-limit counters.", nil, nil),
		redisFallbacks: prometheus.NewDesc("turnpike_ratelimit_redis_fallbacks_total",
			"Requests whose limits were decided by --rate-limit-redis-failure-mode because Redis could not be reached.", nil, nil),
		exprFailures: prometheus.NewDesc("turnpike_expression_failures_total",
			"Policy expressions that failed at request time: a predicate counts as false, a counter leaves the request uncounted.",
			[]string{"kind"}, nil),
		http: newHTTPDescs(),
	}
}

func (c *dataPlaneCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.counters, c.evictions, c.activeEvictions, c.redisErrors, c.redisFallbacks, c.exprFailures, c.authDecisions} {
		ch <- d
	}
	c.http.describe(ch)
}

func (c *dataPlaneCollector) Collect(ch chan<- prometheus.Metric) {
	stats := c.stats.RateLimitStats()
	ch <- prometheus.MustNewConstMetric(c.counters, prometheus.GaugeValue, float64(stats.Counters))
	ch <- prometheus.MustNewConstMetric(c.evictions, prometheus.CounterValue, float64(stats.Evictions))
	ch <- prometheus.MustNewConstMetric(c.activeEvictions, prometheus.CounterValue, float64(stats.ActiveEvictions))
	ch <- prometheus.MustNewConstMetric(c.redisErrors, prometheus.CounterValue, float64(stats.RedisErrors))
	ch <- prometheus.MustNewConstMetric(c.redisFallbacks, prometheus.CounterValue, float64(stats.RedisFallbacks))
	failures := expr.Failures()
	ch <- prometheus.MustNewConstMetric(c.exprFailures, prometheus.CounterValue, float64(failures.Predicates), "predicate")
	ch <- prometheus.MustNewConstMetric(c.exprFailures, prometheus.CounterValue, float64(failures.Values), "counter")
	for _, d := range c.stats.AuthDecisions() {
		ch <- prometheus.MustNewConstMetric(c.authDecisions, prometheus.CounterValue, float64(d.Count), d.Policy, d.Rule, d.Outcome)
	}
	c.http.collect(ch, c.stats.RequestMetrics(), c.stats.AccessLogStats())
}

// httpDescs are the metrics of the requests the data plane served, and of its
// access log. Series exist only for what saw a request; see
// docs/operations.md for their cardinality.
type httpDescs struct {
	requests, duration, overhead, upstream, requestBytes, responseBytes, logLines, logDropped *prometheus.Desc
}

func newHTTPDescs() httpDescs {
	rule := []string{"gateway", "route", "rule"}
	return httpDescs{
		requests: prometheus.NewDesc("turnpike_http_requests_total",
			"Requests by Gateway (namespace/name), route (kind/namespace/name), rule index, backend (namespace/service:port, empty when none was chosen), method, status class and outcome (forwarded, filter, or the problem Turnpike answered).",
			[]string{"gateway", "route", "rule", "backend", "method", "status_class", "outcome"}, nil),
		duration: prometheus.NewDesc("turnpike_http_request_duration_seconds",
			"Time from the handler's start to the response being ready to write, by Gateway, route and rule.", rule, nil),
		overhead: prometheus.NewDesc("turnpike_http_request_overhead_seconds",
			"Time Turnpike itself spent on a request (its duration minus the backend's share), by Gateway, route and rule.", rule, nil),
		upstream: prometheus.NewDesc("turnpike_http_upstream_duration_seconds",
			"Time from sending a request to the backend to having its response or giving up, by Gateway, route, rule and backend.",
			[]string{"gateway", "route", "rule", "backend"}, nil),
		requestBytes: prometheus.NewDesc("turnpike_http_request_body_bytes_total",
			"Request body bytes received, by Gateway, route and rule.", rule, nil),
		responseBytes: prometheus.NewDesc("turnpike_http_response_body_bytes_total",
			"Response body bytes sent, by Gateway, route and rule.", rule, nil),
		logLines: prometheus.NewDesc("turnpike_access_log_lines_total",
			"Access-log lines written.", nil, nil),
		logDropped: prometheus.NewDesc("turnpike_access_log_dropped_lines_total",
			"Access-log lines lost, by reason: queue-full (the writer fell behind) or write-error.", []string{"reason"}, nil),
	}
}

func (d *httpDescs) describe(ch chan<- *prometheus.Desc) {
	for _, desc := range []*prometheus.Desc{d.requests, d.duration, d.overhead, d.upstream, d.requestBytes, d.responseBytes, d.logLines, d.logDropped} {
		ch <- desc
	}
}

func (d *httpDescs) collect(ch chan<- prometheus.Metric, s telemetry.Stats, log telemetry.AccessLogStats) {
	for _, r := range s.Requests {
		ch <- prometheus.MustNewConstMetric(d.requests, prometheus.CounterValue, float64(r.Count),
			r.Gateway, r.Route, r.Rule, r.Backend, r.Method.String(), r.Class.String(), r.Outcome.String())
	}
	for _, h := range s.Durations {
		ch <- constHistogram(d.duration, h.HistogramCounts, h.Gateway, h.Route, h.Rule)
	}
	for _, h := range s.Overheads {
		ch <- constHistogram(d.overhead, h.HistogramCounts, h.Gateway, h.Route, h.Rule)
	}
	for _, h := range s.Upstreams {
		ch <- constHistogram(d.upstream, h.HistogramCounts, h.Gateway, h.Route, h.Rule, h.Backend)
	}
	for _, b := range s.Bytes {
		ch <- prometheus.MustNewConstMetric(d.requestBytes, prometheus.CounterValue, float64(b.Request), b.Gateway, b.Route, b.Rule)
		ch <- prometheus.MustNewConstMetric(d.responseBytes, prometheus.CounterValue, float64(b.Response), b.Gateway, b.Route, b.Rule)
	}
	ch <- prometheus.MustNewConstMetric(d.logLines, prometheus.CounterValue, float64(log.Written))
	ch <- prometheus.MustNewConstMetric(d.logDropped, prometheus.CounterValue, float64(log.QueueFull), "queue-full")
	ch <- prometheus.MustNewConstMetric(d.logDropped, prometheus.CounterValue, float64(log.WriteErrors), "write-error")
}

func constHistogram(desc *prometheus.Desc, c telemetry.HistogramCounts, labels ...string) prometheus.Metric {
	buckets := make(map[float64]uint64, telemetry.NumBuckets)
	for i, bound := range telemetry.DurationBounds {
		buckets[bound] = c.Cumulative[i]
	}
	return prometheus.MustNewConstHistogram(desc, c.Count, c.Sum, buckets, labels...)
}

// metricsHandler serves /metrics: the data plane's counters plus the Go runtime's
// and the process's own.
func metricsHandler(stats dataPlaneStats) (http.Handler, error) {
	registry, err := metricsRegistry(stats)
	if err != nil {
		return nil, err
	}
	return promhttp.HandlerFor(registry, promhttp.HandlerOpts{}), nil
}

// metricsRegistry gathers everything /metrics serves.
func metricsRegistry(stats dataPlaneStats) (*prometheus.Registry, error) {
	registry := prometheus.NewRegistry()
	for _, c := range []prometheus.Collector{
		newDataPlaneCollector(stats),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := registry.Register(c); err != nil {
			return nil, err
		}
	}
	return registry, nil
}
