package main

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/turnpike-gateway/turnpike/dataplane/auth"
	"github.com/turnpike-gateway/turnpike/dataplane/expr"
	"github.com/turnpike-gateway/turnpike/dataplane/ratelimit"
)

// dataPlaneStats is what the data plane counts for metrics.
type dataPlaneStats interface {
	RateLimitStats() ratelimit.Stats
	AuthDecisions() []auth.DecisionCount
}

// dataPlaneCollector turns the data plane's own counters into Prometheus metrics
// when they are scraped, so the request path never touches a Prometheus type.
type dataPlaneCollector struct {
	stats dataPlaneStats

	counters, evictions, activeEvictions, redisErrors, redisFallbacks, exprFailures, authDecisions *prometheus.Desc
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
	}
}

func (c *dataPlaneCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.counters, c.evictions, c.activeEvictions, c.redisErrors, c.redisFallbacks, c.exprFailures, c.authDecisions} {
		ch <- d
	}
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
}

// metricsHandler serves /metrics: the data plane's counters plus the Go runtime's
// and the process's own.
func metricsHandler(stats dataPlaneStats) (http.Handler, error) {
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
	return promhttp.HandlerFor(registry, promhttp.HandlerOpts{}), nil
}
