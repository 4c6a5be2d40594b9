package main

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/turnpike-gateway/turnpike/controllers"
	"github.com/turnpike-gateway/turnpike/dataplane/auth"
	"github.com/turnpike-gateway/turnpike/dataplane/ratelimit"
	"github.com/turnpike-gateway/turnpike/dataplane/telemetry"
)

// fakeStats stands in for the data plane's counters.
type fakeStats struct {
	rateLimit ratelimit.Stats
	auth      []auth.DecisionCount
	requests  telemetry.Stats
	accessLog telemetry.AccessLogStats
}

func (f fakeStats) RateLimitStats() ratelimit.Stats          { return f.rateLimit }
func (f fakeStats) AuthDecisions() []auth.DecisionCount      { return f.auth }
func (f fakeStats) RequestMetrics() telemetry.Stats          { return f.requests }
func (f fakeStats) AccessLogStats() telemetry.AccessLogStats { return f.accessLog }

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

var (
	storeRule = telemetry.RouteKey{Gateway: "infra/web", Route: "httproute/shop/store", Rule: "0"}
	cart      = telemetry.BackendKey{RouteKey: storeRule, Backend: "shop/cart:80"}
)

// histogramOf is a histogram whose observations fall in the first bucket and
// the one at 0.5 s (cumulative 3 and 5) and beyond every bucket (1 more).
func histogramOf(key telemetry.BackendKey) telemetry.HistogramSample {
	var c telemetry.HistogramCounts
	for i, bound := range telemetry.DurationBounds {
		switch {
		case bound >= 0.5:
			c.Cumulative[i] = 5
		default:
			c.Cumulative[i] = 3
		}
	}
	c.Count, c.Sum = 6, 12.5
	return telemetry.HistogramSample{BackendKey: key, HistogramCounts: c}
}

// everything has one sample of every kind, so that every metric family the
// collector can produce appears in its output.
var everything = fakeStats{
	rateLimit: ratelimit.Stats{Counters: 1},
	auth:      []auth.DecisionCount{{Policy: "shop/keys", Rule: "keys", Outcome: "authenticated", Count: 1}},
	requests: telemetry.Stats{
		Requests: []telemetry.RequestCount{
			{BackendKey: telemetry.BackendKey{}, Method: telemetry.MethodUnknown, Class: telemetry.ClassOf(400), Outcome: telemetry.BadRequest, Count: 2},
			{BackendKey: cart, Method: telemetry.MethodPost, Class: telemetry.ClassOf(201), Outcome: telemetry.Forwarded, Count: 40},
		},
		Durations: []telemetry.HistogramSample{histogramOf(telemetry.BackendKey{RouteKey: storeRule})},
		Overheads: []telemetry.HistogramSample{histogramOf(telemetry.BackendKey{RouteKey: storeRule})},
		Upstreams: []telemetry.HistogramSample{histogramOf(cart)},
		Bytes:     []telemetry.ByteCount{{RouteKey: storeRule, Request: 100, Response: 2000}},
	},
	accessLog: telemetry.AccessLogStats{Written: 7, QueueFull: 3, WriteErrors: 1},
}

func TestDataPlaneCollectorReportsRequestMetrics(t *testing.T) {
	t.Parallel()
	collector := newDataPlaneCollector(everything)
	want := `
# HELP turnpike_http_requests_total Requests by Gateway (namespace/name), route (kind/namespace/name), rule index, backend (namespace/service:port, empty when none was chosen), method, status class and outcome (forwarded, filter, or the problem Turnpike answered).
# TYPE turnpike_http_requests_total counter
turnpike_http_requests_total{backend="",gateway="",method="unknown",outcome="bad-request",route="",rule="",status_class="4xx"} 2
turnpike_http_requests_total{backend="shop/cart:80",gateway="infra/web",method="POST",outcome="forwarded",route="httproute/shop/store",rule="0",status_class="2xx"} 40
# HELP turnpike_http_request_body_bytes_total Request body bytes received, by Gateway, route and rule.
# TYPE turnpike_http_request_body_bytes_total counter
turnpike_http_request_body_bytes_total{gateway="infra/web",route="httproute/shop/store",rule="0"} 100
# HELP turnpike_http_response_body_bytes_total Response body bytes sent, by Gateway, route and rule.
# TYPE turnpike_http_response_body_bytes_total counter
turnpike_http_response_body_bytes_total{gateway="infra/web",route="httproute/shop/store",rule="0"} 2000
# HELP turnpike_access_log_lines_total Access-log lines written.
# TYPE turnpike_access_log_lines_total counter
turnpike_access_log_lines_total 7
# HELP turnpike_access_log_dropped_lines_total Access-log lines lost, by reason: queue-full (the writer fell behind) or write-error.
# TYPE turnpike_access_log_dropped_lines_total counter
turnpike_access_log_dropped_lines_total{reason="queue-full"} 3
turnpike_access_log_dropped_lines_total{reason="write-error"} 1
`
	err := testutil.CollectAndCompare(collector, strings.NewReader(want),
		"turnpike_http_requests_total", "turnpike_http_request_body_bytes_total", "turnpike_http_response_body_bytes_total",
		"turnpike_access_log_lines_total", "turnpike_access_log_dropped_lines_total")
	if err != nil {
		t.Error(err)
	}
}

func TestDataPlaneCollectorReportsHistograms(t *testing.T) {
	t.Parallel()
	registry, err := metricsRegistry(everything)
	if err != nil {
		t.Fatal(err)
	}
	families, err := registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, f := range families {
		switch f.GetName() {
		case "turnpike_http_request_duration_seconds", "turnpike_http_request_overhead_seconds", "turnpike_http_upstream_duration_seconds":
		default:
			continue
		}
		for _, m := range f.GetMetric() {
			seen++
			h := m.GetHistogram()
			if h.GetSampleCount() != 6 || h.GetSampleSum() != 12.5 {
				t.Errorf("%s: count %d, sum %v", f.GetName(), h.GetSampleCount(), h.GetSampleSum())
			}
			buckets := h.GetBucket()
			if len(buckets) != telemetry.NumBuckets {
				t.Fatalf("%s: %d buckets, want %d", f.GetName(), len(buckets), telemetry.NumBuckets)
			}
			for i, b := range buckets {
				want := uint64(3)
				if b.GetUpperBound() >= 0.5 {
					want = 5
				}
				if b.GetUpperBound() != telemetry.DurationBounds[i] || b.GetCumulativeCount() != want {
					t.Errorf("%s: bucket %d is le=%v with %d, want le=%v with %d",
						f.GetName(), i, b.GetUpperBound(), b.GetCumulativeCount(), telemetry.DurationBounds[i], want)
				}
			}
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["gateway"] != "infra/web" || labels["route"] != "httproute/shop/store" || labels["rule"] != "0" {
				t.Errorf("%s: labels %v", f.GetName(), labels)
			}
			if f.GetName() == "turnpike_http_upstream_duration_seconds" && labels["backend"] != "shop/cart:80" {
				t.Errorf("%s: labels %v", f.GetName(), labels)
			}
		}
	}
	if seen != 3 {
		t.Errorf("%d histograms, want 3", seen)
	}
}

// gatheredFamilies returns every metric family /metrics serves, with the label
// names of each, from a collector that has one sample of everything.
func gatheredFamilies(t *testing.T) map[string]map[string]bool {
	t.Helper()
	registry, err := metricsRegistry(everything)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range controllers.NewCompileLoop(controllers.LoopOptions{}).Collectors() {
		if err := registry.Register(c); err != nil {
			t.Fatal(err)
		}
	}
	families, err := registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]bool{}
	for _, f := range families {
		labels := map[string]bool{}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = true
			}
		}
		if f.GetType().String() == "HISTOGRAM" {
			labels["le"] = true
		}
		out[f.GetName()] = labels
	}
	return out
}

// metricName matches what may be a metric name of ours in PromQL or Markdown,
// and selector the label matchers that follow one.
var (
	metricName = regexp.MustCompile(`\b(?:turnpike|go|process)_[a-z0-9_]+\b`)
	selector   = regexp.MustCompile(`\b((?:turnpike|go|process)_[a-z0-9_]+)\{([^}]*)\}`)
	matcher    = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)`)
)

// family resolves a series name to its family: a histogram's _bucket, _sum and
// _count series belong to it.
func family(families map[string]map[string]bool, name string) (string, bool) {
	if _, ok := families[name]; ok {
		return name, true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, cut := strings.CutSuffix(name, suffix); cut {
			if _, ok := families[base]; ok {
				return base, true
			}
		}
	}
	return "", false
}

// dashboardExpressions returns every query in the dashboard, at any depth: the
// panels' "expr" and the template variables' "definition".
func dashboardExpressions(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile("../../docs/grafana/turnpike-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("the dashboard is not JSON: %v", err)
	}
	var exprs []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, child := range v {
				if s, ok := child.(string); ok && (k == "expr" || k == "definition") {
					exprs = append(exprs, s)
				}
				walk(child)
			}
		case []any:
			for _, child := range v {
				walk(child)
			}
		}
	}
	walk(doc)
	return exprs
}

// TestDashboardUsesExportedMetrics keeps the Grafana dashboard from rotting:
// every metric its queries name, and every label they select on, must be in
// what /metrics serves. Prometheus adds job and instance when it scrapes.
func TestDashboardUsesExportedMetrics(t *testing.T) {
	t.Parallel()
	families := gatheredFamilies(t)
	exprs := dashboardExpressions(t)
	used := map[string]bool{}
	for _, expr := range exprs {
		for _, name := range metricName.FindAllString(expr, -1) {
			f, ok := family(families, name)
			if !ok {
				t.Errorf("the dashboard queries %s, which Turnpike does not export: %s", name, expr)
				continue
			}
			used[f] = true
		}
		for _, sel := range selector.FindAllStringSubmatch(expr, -1) {
			f, ok := family(families, sel[1])
			if !ok {
				continue // reported above
			}
			for _, m := range matcher.FindAllStringSubmatch(sel[2], -1) {
				if label := m[1]; label != "job" && label != "instance" && !families[f][label] {
					t.Errorf("the dashboard selects on label %q of %s, which has no such label: %s", label, f, expr)
				}
			}
		}
	}
	// Every request metric is on the dashboard; a dashboard that queries
	// nothing would pass the checks above.
	for f := range families {
		if strings.HasPrefix(f, "turnpike_http_") && !used[f] {
			t.Errorf("the dashboard shows nothing of %s", f)
		}
	}
}

// TestOperationsDocumentsEveryMetric keeps docs/operations.md and /metrics in
// step, both ways.
func TestOperationsDocumentsEveryMetric(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	families := gatheredFamilies(t)
	for f := range families {
		if strings.HasPrefix(f, "turnpike_") && !strings.Contains(doc, "`"+f+"`") {
			t.Errorf("docs/operations.md does not document %s", f)
		}
	}
	for _, name := range metricName.FindAllString(doc, -1) {
		if !strings.HasPrefix(name, "turnpike_") {
			continue
		}
		if _, ok := family(families, name); !ok {
			t.Errorf("docs/operations.md names %s, which Turnpike does not export", name)
		}
	}
}
