package main

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeMeasurement is a run of requests over one second with both percentiles
// equal to latency.
func fakeMeasurement(requests uint64, latency, proxyCPU, backendCPU time.Duration) *measurement {
	return &measurement{
		wrk: wrkResult{requests: requests, elapsed: time.Second, requestsPerSecond: float64(requests),
			p50: latency, p99: 2 * latency},
		proxyCPU: proxyCPU, backendCPU: backendCPU,
	}
}

func TestMedianOver(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		values []float64
		want   float64
	}{
		{name: "none", want: 0},
		{name: "one", values: []float64{7}, want: 7},
		{name: "odd count, unsorted", values: []float64{9, 1, 5}, want: 5},
		{name: "even count takes the mean of the middle two", values: []float64{4, 1, 3, 100}, want: 3.5},
		{name: "an outlier does not move it", values: []float64{10, 11, 1e9}, want: 11},
	}
	for _, test := range tests {
		if got := medianOver(len(test.values), func(i int) float64 { return test.values[i] }); got != test.want {
			t.Errorf("%s: medianOver(%v) = %v, want %v", test.name, test.values, got, test.want)
		}
	}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	// Three rounds; round 2 ran while the machine was busy and slowed everyone.
	all := results{
		directKey: {
			fakeMeasurement(10000, 1*ms, 0, 100*ms),
			fakeMeasurement(5000, 3*ms, 0, 100*ms),
			fakeMeasurement(11000, 1*ms, 0, 110*ms),
		},
		{"one route", proxyTurnpike}: {
			fakeMeasurement(6000, 2*ms, 600*ms, 60*ms),
			fakeMeasurement(2000, 5*ms, 300*ms, 20*ms),
			fakeMeasurement(6600, 2*ms, 660*ms, 66*ms),
		},
		{"one route", proxyNginx}: {
			fakeMeasurement(5000, 3*ms, 250*ms, 50*ms),
			fakeMeasurement(2500, 5*ms, 250*ms, 25*ms),
			fakeMeasurement(6000, 2*ms, 300*ms, 60*ms),
		},
	}
	rows, comparisons := summarize([]reportScenario{{name: "one route"}}, all)
	wantRows := []summaryRow{
		{key: directKey, requestsPerSecond: 10000, p50: 1 * ms, p99: 2 * ms, backendCPUPerK: 0.01},
		{
			key: runKey{"one route", proxyTurnpike}, requestsPerSecond: 6000, p50: 2 * ms, p99: 4 * ms,
			// Per round p50 - direct p50: 1, 2, 1 ms; p99: 2, 4, 2 ms.
			addedP50: 1 * ms, addedP99: 2 * ms,
			proxyCPUPerK: 0.1, backendCPUPerK: 0.01, proxyBusy: 0.6,
		},
		{
			key: runKey{"one route", proxyNginx}, requestsPerSecond: 5000, p50: 3 * ms, p99: 6 * ms,
			// Per round: p50 2, 2, 1 ms; p99 4, 4, 2 ms.
			addedP50: 2 * ms, addedP99: 4 * ms,
			proxyCPUPerK: 0.05, backendCPUPerK: 0.01, proxyBusy: 0.25,
		},
	}
	// Per round req/s ratios 1.2, 0.8, 1.1; p99 differences -2, 0, 0 ms; CPU ratios 2, 1.5, 2.
	wantComparisons := []comparison{{scenario: "one route", baseline: true, againstNginx: true, throughputRatio: 1.1, addedP99Diff: 0, cpuRatio: 2,
		turnpikeOfPlain: 1, nginxOfPlain: 1}}
	opts := cmp.Options{cmp.AllowUnexported(summaryRow{}, runKey{}, comparison{}), floatNear(1e-9)}
	if diff := cmp.Diff(wantRows, rows, opts); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantComparisons, comparisons, opts); diff != "" {
		t.Errorf("comparisons (-want +got):\n%s", diff)
	}
}

func TestSummarizeSurvivesEmptyAndShortSeries(t *testing.T) {
	t.Parallel()
	all := results{
		directKey:                    {fakeMeasurement(0, 0, 0, 0), fakeMeasurement(100, time.Millisecond, 0, 0)},
		{"one route", proxyTurnpike}: {fakeMeasurement(0, 0, 0, 0)},
	}
	rows, comparisons := summarize([]reportScenario{{name: "one route"}}, all)
	if len(rows) != 3 || len(comparisons) != 1 {
		t.Fatalf("got %d rows and %d comparisons, want 3 and 1", len(rows), len(comparisons))
	}
	if rows[2].requestsPerSecond != 0 || comparisons[0].throughputRatio != 0 || comparisons[0].cpuRatio != 0 {
		t.Errorf("a series without runs summarizes to %+v and %+v, want zeros", rows[2], comparisons[0])
	}
}

// TestSummarizeAgainstOwnBaseline covers the scenarios after the first: each
// proxy against its own one-route figure of the same round, and a scenario nginx
// cannot serve.
func TestSummarizeAgainstOwnBaseline(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	const jwtMissing = "nginx cannot validate a JWT"
	all := results{
		directKey: {fakeMeasurement(10000, 1*ms, 0, 0), fakeMeasurement(5000, 1*ms, 0, 0), fakeMeasurement(10000, 1*ms, 0, 0)},
		// Round 2 is slow for everyone: the per-round ratios do not see it.
		{"one route", proxyTurnpike}:       {fakeMeasurement(8000, ms, ms, 0), fakeMeasurement(4000, ms, ms, 0), fakeMeasurement(8000, ms, ms, 0)},
		{"one route", proxyNginx}:          {fakeMeasurement(6000, ms, ms, 0), fakeMeasurement(3000, ms, ms, 0), fakeMeasurement(6000, ms, ms, 0)},
		{"API-key", proxyTurnpike}:         {fakeMeasurement(7200, ms, ms, 0), fakeMeasurement(3600, ms, ms, 0), fakeMeasurement(7000, ms, ms, 0)},
		{"API-key", proxyNginx}:            {fakeMeasurement(5400, ms, ms, 0), fakeMeasurement(2400, ms, ms, 0), fakeMeasurement(5700, ms, ms, 0)},
		{scenarioJWT, proxyTurnpike}:       {fakeMeasurement(6000, ms, ms, 0), fakeMeasurement(3400, ms, ms, 0), fakeMeasurement(7000, ms, ms, 0)},
		{scenarioAuthLimit, proxyTurnpike}: {fakeMeasurement(6400, ms, ms, 0), fakeMeasurement(2800, ms, ms, 0)}, // interrupted
	}
	scenarios := []reportScenario{
		{name: "one route"}, {name: "API-key"},
		{name: scenarioJWT, nginxMissing: jwtMissing}, {name: scenarioAuthLimit, nginxMissing: jwtMissing},
	}
	rows, comparisons := summarize(scenarios, all)
	var missing []string
	for _, row := range rows {
		if row.missing != "" {
			missing = append(missing, row.key.scenario+" "+row.key.proxy)
			if row.requestsPerSecond != 0 {
				t.Errorf("the n/a row %v has figures: %+v", row.key, row)
			}
		}
	}
	if diff := cmp.Diff([]string{scenarioJWT + " nginx", scenarioAuthLimit + " nginx"}, missing); diff != "" {
		t.Errorf("n/a rows (-want +got):\n%s", diff)
	}
	if len(rows) != 1+2*len(scenarios) {
		t.Errorf("%d rows, want direct and two per scenario: %d", len(rows), 1+2*len(scenarios))
	}
	want := []comparison{
		{scenario: "one route", baseline: true, againstNginx: true, throughputRatio: 8000.0 / 6000, cpuRatio: 0.75, turnpikeOfPlain: 1, nginxOfPlain: 1},
		// Turnpike 0.9, 0.9, 0.875 of its own; nginx 0.9, 0.8, 0.95 of its own.
		{scenario: "API-key", againstNginx: true, throughputRatio: 7200.0 / 5400, cpuRatio: 0.75, turnpikeOfPlain: 0.9, nginxOfPlain: 0.9},
		// 0.75, 0.85, 0.875: the median, not the mean of the medians.
		{scenario: scenarioJWT, turnpikeOfPlain: 0.85},
		// Two rounds: 0.8 and 0.7.
		{scenario: scenarioAuthLimit, turnpikeOfPlain: 0.75},
	}
	// Turnpike/nginx per round for API-key: req/s 1.333, 1.5, 1.228 (median 1.333);
	// CPU per request (the same CPU time for fewer requests) 0.75, 0.667, 0.814.
	opts := cmp.Options{cmp.AllowUnexported(comparison{}), floatNear(1e-9)}
	if diff := cmp.Diff(want, comparisons, opts); diff != "" {
		t.Errorf("comparisons (-want +got):\n%s", diff)
	}
}

func TestPrintProxyTable(t *testing.T) {
	t.Parallel()
	rows := []summaryRow{
		{key: directKey, requestsPerSecond: 10000, p50: time.Millisecond, p99: 2 * time.Millisecond, backendCPUPerK: 0.01},
		{key: runKey{"one route", proxyTurnpike}, requestsPerSecond: 6000, p50: 2 * time.Millisecond, p99: 4 * time.Millisecond,
			addedP50: time.Millisecond, addedP99: 2 * time.Millisecond, proxyCPUPerK: 0.1, backendCPUPerK: 0.01, proxyBusy: 0.6},
		{key: runKey{scenarioJWT, proxyTurnpike}, requestsPerSecond: 5100, p50: 2 * time.Millisecond, p99: 4 * time.Millisecond,
			addedP50: time.Millisecond, addedP99: 2 * time.Millisecond, proxyCPUPerK: 0.2, backendCPUPerK: 0.01, proxyBusy: 0.99},
		{key: runKey{scenarioJWT, proxyNginx}, missing: "nginx cannot"},
	}
	comparisons := []comparison{
		{scenario: "one route", baseline: true, againstNginx: true, throughputRatio: 1.1, addedP99Diff: -300 * time.Microsecond, cpuRatio: 2,
			turnpikeOfPlain: 1, nginxOfPlain: 1},
		{scenario: "API-key", againstNginx: true, throughputRatio: 1.2, addedP99Diff: 10 * time.Microsecond, cpuRatio: 0.5,
			turnpikeOfPlain: 0.93, nginxOfPlain: 0.88},
		{scenario: scenarioJWT, turnpikeOfPlain: 0.85},
	}
	var out strings.Builder
	printProxyTable(&out, rows, comparisons)
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	want := [][]string{
		{"scenario", "proxy", "req/s", "added p99", "proxy cpu s/1k req", "proxy core busy"},
		{"(no proxy)", "direct", "10000", "1000µs", "2000µs", "0.0100"},
		{"one route", "turnpike", "6000", "+1000µs", "+2000µs", "0.1000", "60%"},
		{scenarioJWT, "turnpike", "5100", "0.2000", "99%"},
		{scenarioJWT, "nginx", "n/a  n/a  n/a  n/a  n/a  n/a  n/a  n/a"},
		{},
		{"scenario", "req/s turnpike/nginx", "added p99 turnpike-nginx", "cpu per request turnpike/nginx",
			"turnpike req/s / its one route", "nginx req/s / its one route"},
		{"one route", "1.10", "-300µs", "2.00", "-  -"},
		{"API-key", "1.20", "+10µs", "0.50", "0.93  0.88"},
		{scenarioJWT, "n/a  n/a  n/a  0.85  n/a"},
	}
	if len(lines) != len(want) {
		t.Fatalf("table has %d lines, want %d:\n%s", len(lines), len(want), out.String())
	}
	// Cells are compared with runs of spaces as one, so that a want of several
	// cells ("n/a  n/a") says they are next to each other.
	spaced := func(text string) string { return strings.Join(strings.Fields(text), " ") }
	for i, cells := range want {
		for _, cell := range cells {
			if !strings.Contains(spaced(lines[i]), spaced(cell)) {
				t.Errorf("line %d %q lacks %q", i+1, lines[i], cell)
			}
		}
	}
}

func TestPrintPlainProxyTarget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		comparison comparison
		want       string
	}{
		{comparison{scenario: "one route", throughputRatio: 1.02, addedP99Diff: -5 * time.Microsecond},
			"1.02x, met; added p99 no worse than nginx's: -5µs, met"},
		{comparison{scenario: "one route", throughputRatio: 0.9, addedP99Diff: 40 * time.Microsecond},
			"0.90x, NOT met; added p99 no worse than nginx's: +40µs, NOT met"},
	}
	for _, test := range tests {
		var out strings.Builder
		printPlainProxyTarget(&out, test.comparison)
		if !strings.Contains(out.String(), test.want) {
			t.Errorf("printPlainProxyTarget(%+v) = %q, want it to contain %q", test.comparison, out.String(), test.want)
		}
	}
}

func TestPrintJWTTarget(t *testing.T) {
	t.Parallel()
	base := comparison{scenario: scenarioOneRoute, baseline: true, turnpikeOfPlain: 1}
	tests := []struct {
		name        string
		comparisons []comparison
		want        []string
	}{
		{
			name:        "met",
			comparisons: []comparison{base, {scenario: scenarioJWT, turnpikeOfPlain: 0.91}, {scenario: scenarioAuthLimit, turnpikeOfPlain: 0.8}},
			want:        []string{"(AuthPolicy and RateLimitPolicy): req/s at least 0.80x Turnpike's own on one route: 0.80x, met", "JWT alone: 0.91x"},
		},
		{
			name:        "not met",
			comparisons: []comparison{base, {scenario: scenarioJWT, turnpikeOfPlain: 0.81}, {scenario: scenarioAuthLimit, turnpikeOfPlain: 0.79}},
			want:        []string{"0.79x, NOT met", "JWT alone: 0.81x"},
		},
		{
			name:        "neither measured",
			comparisons: []comparison{base},
			want:        []string{"not measured (see the skipped scenarios)", "JWT alone: not measured"},
		},
	}
	for _, test := range tests {
		var out strings.Builder
		printJWTTarget(&out, test.comparisons)
		for _, want := range test.want {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s: printJWTTarget = %q, want it to contain %q", test.name, out.String(), want)
			}
		}
	}
}

func TestPrintNginxMissingGroupsByReason(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	printNginxMissing(&out, []reportScenario{
		{name: scenarioOneRoute}, {name: scenarioJWT, nginxMissing: "no JWT"}, {name: "other", nginxMissing: "another reason"},
		{name: scenarioAuthLimit, nginxMissing: "no JWT"},
	})
	want := "nginx n/a (JWT AuthPolicy, AuthPolicy and RateLimitPolicy): no JWT\nnginx n/a (other): another reason\n"
	if out.String() != want {
		t.Errorf("printNginxMissing printed %q, want %q", out.String(), want)
	}
}

// floatNear compares float64s within an absolute tolerance.
func floatNear(tolerance float64) cmp.Option {
	return cmp.Comparer(func(a, b float64) bool {
		diff := a - b
		return diff <= tolerance && diff >= -tolerance
	})
}
