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
	rows, comparisons := summarize([]string{"one route"}, all)
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
	wantComparisons := []comparison{{scenario: "one route", throughputRatio: 1.1, addedP99Diff: 0, cpuRatio: 2}}
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
	rows, comparisons := summarize([]string{"one route"}, all)
	if len(rows) != 3 || len(comparisons) != 1 {
		t.Fatalf("got %d rows and %d comparisons, want 3 and 1", len(rows), len(comparisons))
	}
	if rows[2].requestsPerSecond != 0 || comparisons[0].throughputRatio != 0 || comparisons[0].cpuRatio != 0 {
		t.Errorf("a series without runs summarizes to %+v and %+v, want zeros", rows[2], comparisons[0])
	}
}

func TestPrintProxyTable(t *testing.T) {
	t.Parallel()
	rows := []summaryRow{
		{key: directKey, requestsPerSecond: 10000, p50: time.Millisecond, p99: 2 * time.Millisecond, backendCPUPerK: 0.01},
		{key: runKey{"one route", proxyTurnpike}, requestsPerSecond: 6000, p50: 2 * time.Millisecond, p99: 4 * time.Millisecond,
			addedP50: time.Millisecond, addedP99: 2 * time.Millisecond, proxyCPUPerK: 0.1, backendCPUPerK: 0.01, proxyBusy: 0.6},
	}
	comparisons := []comparison{{scenario: "one route", throughputRatio: 1.1, addedP99Diff: -300 * time.Microsecond, cpuRatio: 2}}
	var out strings.Builder
	printProxyTable(&out, rows, comparisons)
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	want := [][]string{
		{"scenario", "proxy", "req/s", "added p99", "proxy cpu s/1k req", "proxy core busy"},
		{"(no proxy)", "direct", "10000", "1000µs", "2000µs", "0.0100"},
		{"one route", "turnpike", "6000", "+1000µs", "+2000µs", "0.1000", "60%"},
		{},
		{"scenario", "req/s turnpike/nginx", "added p99 turnpike-nginx", "cpu per request turnpike/nginx"},
		{"one route", "1.10", "-300µs", "2.00"},
	}
	if len(lines) != len(want) {
		t.Fatalf("table has %d lines, want %d:\n%s", len(lines), len(want), out.String())
	}
	for i, cells := range want {
		for _, cell := range cells {
			if !strings.Contains(lines[i], cell) {
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

// floatNear compares float64s within an absolute tolerance.
func floatNear(tolerance float64) cmp.Option {
	return cmp.Comparer(func(a, b float64) bool {
		diff := a - b
		return diff <= tolerance && diff >= -tolerance
	})
}
