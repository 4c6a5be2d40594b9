package main

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/turnpike-gateway/turnpike/dataplane/auth"
	"github.com/turnpike-gateway/turnpike/dataplane/ratelimit"
)

// fakeStats stands in for the data plane's counters.
type fakeStats struct {
	rateLimit ratelimit.Stats
	auth      []auth.DecisionCount
}

func (f fakeStats) RateLimitStats() ratelimit.Stats     { return f.rateLimit }
func (f fakeStats) AuthDecisions() []auth.DecisionCount { return f.auth }

func TestDataPlaneCollectorReportsRateLimitStats(t *testing.T) {
	t.Parallel()
	stats := ratelimit.Stats{Counters: 7, Evictions: 3, ActiveEvictions: 1, RedisErrors: 5, RedisFallbacks: 11}
	collector := newDataPlaneCollector(fakeStats{rateLimit: stats})
	want := `
# HELP turnpike_ratelimit_counters Rate-limit counters held in process memory for the live limits.
# TYPE turnpike_ratelimit_counters gauge
turnpike_ratelimit_counters 7
# HELP turnpike_ratelimit_evictions_total Counters forgotten to stay under --rate-limit-max-counters.
# TYPE turnpike_ratelimit_evictions_total counter
turnpike_ratelimit_evictions_total 3
# HELP turnpike_ratelimit_redis_errors_total Failed calls to the Redis that holds shared rate-limit counters.
# TYPE turnpike_ratelimit_redis_errors_total counter
turnpike_ratelimit_redis_errors_total 5
# HELP turnpike_ratelimit_redis_fallbacks_total Requests whose limits were decided by --rate-limit-redis-failure-mode because Redis could not be reached.
# TYPE turnpike_ratelimit_redis_fallbacks_total counter
turnpike_ratelimit_redis_fallbacks_total 11
`
	err := testutil.CollectAndCompare(collector, strings.NewReader(want),
		"turnpike_ratelimit_counters", "turnpike_ratelimit_evictions_total",
		"turnpike_ratelimit_redis_errors_total", "turnpike_ratelimit_redis_fallbacks_total")
	if err != nil {
		t.Error(err)
	}
}

func TestMetricsHandlerServesPrometheusText(t *testing.T) {
	t.Parallel()
	handler, err := metricsHandler(fakeStats{rateLimit: ratelimit.Stats{RedisErrors: 2}})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{"turnpike_ratelimit_redis_errors_total 2", "turnpike_expression_failures_total{kind=\"predicate\"}", "go_goroutines", "process_resident_memory_bytes"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestDataPlaneCollectorReportsAuthDecisions(t *testing.T) {
	t.Parallel()
	collector := newDataPlaneCollector(fakeStats{auth: []auth.DecisionCount{
		{Policy: "default/api", Rule: "keys", Outcome: "authenticated", Count: 40},
		{Policy: "default/api", Rule: "keys", Outcome: "credential-invalid", Count: 2},
	}})
	want := `
# HELP turnpike_auth_decisions_total Requests decided by an AuthPolicy rule, by policy (namespace/name), rule and outcome.
# TYPE turnpike_auth_decisions_total counter
turnpike_auth_decisions_total{outcome="authenticated",policy="default/api",rule="keys"} 40
turnpike_auth_decisions_total{outcome="credential-invalid",policy="default/api",rule="keys"} 2
`
	if err := testutil.CollectAndCompare(collector, strings.NewReader(want), "turnpike_auth_decisions_total"); err != nil {
		t.Error(err)
	}
}
