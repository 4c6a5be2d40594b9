package main

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMedian(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		values []float64
		want   float64
	}{
		{name: "empty", want: 0},
		{name: "one", values: []float64{7}, want: 7},
		{name: "odd count, unsorted", values: []float64{9, 1, 5}, want: 5},
		{name: "even count takes the mean of the middle two", values: []float64{4, 1, 3, 100}, want: 3.5},
		{name: "an outlier does not move it", values: []float64{10, 11, 1e9}, want: 11},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			input := append([]float64(nil), test.values...)
			if got := median(input); got != test.want {
				t.Errorf("median(%v) = %v, want %v", test.values, got, test.want)
			}
			if diff := cmp.Diff(test.values, input); diff != "" {
				t.Errorf("median reordered its input (-before +after):\n%s", diff)
			}
		})
	}
}

// fakeRound builds a result whose every response took latency: ok responses of 200
// over elapsed, with the given CPU times (turnpike, backend, generator).
func fakeRound(ok uint64, elapsed, latency time.Duration, cpu ...time.Duration) *roundResult {
	result := &roundResult{ok: ok, elapsed: elapsed, cpu: cpu, statuses: map[int]uint64{}, errorSamples: map[string]uint64{}}
	for range ok {
		result.latency.Record(latency)
	}
	return result
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	// Three rounds; round 2 ran while the machine was busy, which slowed both
	// scenarios alike. Latencies below 256ns are recorded exactly.
	rounds := []roundPair{
		{
			direct:   fakeRound(1000, time.Second, 100, 0, 500*time.Millisecond, 200*time.Millisecond),
			turnpike: fakeRound(800, time.Second, 150, 400*time.Millisecond, 400*time.Millisecond, 160*time.Millisecond),
		},
		{
			direct:   fakeRound(500, time.Second, 200, 0, 250*time.Millisecond, 100*time.Millisecond),
			turnpike: fakeRound(300, time.Second, 250, 300*time.Millisecond, 150*time.Millisecond, 60*time.Millisecond),
		},
		{
			direct:   fakeRound(2000, 2*time.Second, 110, 0, time.Second, 400*time.Millisecond),
			turnpike: fakeRound(1800, 2*time.Second, 170, 900*time.Millisecond, 900*time.Millisecond, 360*time.Millisecond),
		},
	}
	direct, turnpike, added := summarize(rounds)
	wantDirect := scenarioSummary{
		name:              "direct",
		requestsPerSecond: 1000,
		p50:               110, p99: 110, p999: 110,
		cpuPerThousand: [cpuProcesses]float64{0, 0.5, 0.2},
	}
	wantTurnpike := scenarioSummary{
		name:              "turnpike",
		requestsPerSecond: 800,
		p50:               170, p99: 170, p999: 170,
		cpuPerThousand: [cpuProcesses]float64{0.5, 0.5, 0.2},
	}
	// Per-round added latency 50, 50, 60 ns (the difference of the medians would
	// say 60); ratios 0.8, 0.6, 0.9.
	wantAdded := overhead{addedP50: 50, addedP99: 50, throughputRatio: 0.8}
	opts := cmp.Options{cmp.AllowUnexported(scenarioSummary{}, overhead{}), floatNear(1e-9)}
	if diff := cmp.Diff(wantDirect, direct, opts); diff != "" {
		t.Errorf("direct summary (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantTurnpike, turnpike, opts); diff != "" {
		t.Errorf("turnpike summary (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantAdded, added, opts); diff != "" {
		t.Errorf("overhead (-want +got):\n%s", diff)
	}
}

func TestSummarizeSurvivesARoundWithoutResponses(t *testing.T) {
	t.Parallel()
	rounds := []roundPair{{direct: fakeRound(0, time.Second, 0), turnpike: fakeRound(0, time.Second, 0)}}
	direct, turnpike, added := summarize(rounds)
	if direct.requestsPerSecond != 0 || turnpike.requestsPerSecond != 0 || added.throughputRatio != 0 {
		t.Errorf("summaries of empty rounds = %+v, %+v, %+v; want zero rates", direct, turnpike, added)
	}
}

func TestPrintTable(t *testing.T) {
	t.Parallel()
	rounds := []roundPair{{
		direct:   fakeRound(1000, time.Second, 100*time.Microsecond, 0, 500*time.Millisecond, 200*time.Millisecond),
		turnpike: fakeRound(800, time.Second, 150*time.Microsecond, 400*time.Millisecond, 400*time.Millisecond, 160*time.Millisecond),
	}}
	var out strings.Builder
	printTable(&out, rounds)
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("table has %d lines, want a header and two rows:\n%s", len(lines), out.String())
	}
	for i, want := range [][]string{
		{"scenario", "req/s", "p50", "p99.9", "added p50", "req/s ratio", "cpu turnpike", "cpu backend", "cpu bench"},
		{"direct", "1000", "100µs", "0.0000", "0.5000", "0.2000"},
		{"turnpike", "800", "150µs", "+50µs", "0.80", "0.5000", "0.2000"},
	} {
		for _, cell := range want {
			if !strings.Contains(lines[i], cell) {
				t.Errorf("line %d %q lacks %q", i+1, lines[i], cell)
			}
		}
	}
}

func TestFailureReport(t *testing.T) {
	t.Parallel()
	clean := fakeRound(10, time.Second, time.Millisecond)
	broken := fakeRound(10, time.Second, time.Millisecond)
	broken.statuses[503] = 4
	broken.statuses[404] = 1
	broken.errors = 3
	broken.errorSamples["dial tcp4 127.0.0.1:1: connect: connection refused"] = 3

	if got := failureReport([]roundPair{{direct: clean, turnpike: clean}}); got != "" {
		t.Errorf("failureReport of a clean run = %q, want empty", got)
	}
	want := "  round 2 turnpike: 8 failed requests (warm-up included)\n" +
		"    HTTP 404: 1\n" +
		"    HTTP 503: 4\n" +
		"    no response: 3; messages seen:\n" +
		"      3x dial tcp4 127.0.0.1:1: connect: connection refused\n"
	got := failureReport([]roundPair{{direct: clean, turnpike: clean}, {direct: clean, turnpike: broken}})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("failureReport (-want +got):\n%s", diff)
	}
}

func TestFormatLatency(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in        time.Duration
		latency   string
		withASign string
	}{
		{in: 0, latency: "0µs", withASign: "+0µs"},
		{in: 1499 * time.Nanosecond, latency: "1µs", withASign: "+1µs"},
		{in: 312 * time.Microsecond, latency: "312µs", withASign: "+312µs"},
		{in: -20 * time.Microsecond, latency: "-20µs", withASign: "-20µs"},
		{in: 12 * time.Millisecond, latency: "12000µs", withASign: "+12000µs"},
	}
	for _, test := range tests {
		if got := formatLatency(test.in); got != test.latency {
			t.Errorf("formatLatency(%v) = %q, want %q", test.in, got, test.latency)
		}
		if got := formatAdded(test.in); got != test.withASign {
			t.Errorf("formatAdded(%v) = %q, want %q", test.in, got, test.withASign)
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
