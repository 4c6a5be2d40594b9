package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// The processes whose CPU time each round samples, in this order.
const (
	cpuTurnpike = iota
	cpuBackend
	cpuGenerator
	cpuProcesses
)

// roundPair is one round: the direct scenario, then the same load through Turnpike.
type roundPair struct {
	direct, turnpike *roundResult
}

// scenarioSummary is one row of the table: medians across rounds.
type scenarioSummary struct {
	name              string
	requestsPerSecond float64
	p50, p99, p999    time.Duration
	// cpuPerThousand is CPU seconds per 1,000 measured responses, per process.
	cpuPerThousand [cpuProcesses]float64
}

// overhead is what Turnpike adds. Each figure is the median of the per-round
// differences (or ratios): the two scenarios of a round run back to back, so
// pairing them cancels drift in the machine's load better than comparing medians.
type overhead struct {
	addedP50, addedP99 time.Duration
	throughputRatio    float64
}

// summarize reduces the rounds to the table's figures.
func summarize(rounds []roundPair) (direct, turnpike scenarioSummary, added overhead) {
	direct = summarizeScenario("direct", rounds, func(p roundPair) *roundResult { return p.direct })
	turnpike = summarizeScenario("turnpike", rounds, func(p roundPair) *roundResult { return p.turnpike })
	added.addedP50 = medianDuration(rounds, func(p roundPair) time.Duration {
		return p.turnpike.latency.Quantile(0.50) - p.direct.latency.Quantile(0.50)
	})
	added.addedP99 = medianDuration(rounds, func(p roundPair) time.Duration {
		return p.turnpike.latency.Quantile(0.99) - p.direct.latency.Quantile(0.99)
	})
	added.throughputRatio = medianOf(rounds, func(p roundPair) float64 {
		if p.direct.requestsPerSecond() == 0 {
			return 0
		}
		return p.turnpike.requestsPerSecond() / p.direct.requestsPerSecond()
	})
	return direct, turnpike, added
}

func summarizeScenario(name string, rounds []roundPair, pick func(roundPair) *roundResult) scenarioSummary {
	summary := scenarioSummary{
		name:              name,
		requestsPerSecond: medianOf(rounds, func(p roundPair) float64 { return pick(p).requestsPerSecond() }),
		p50:               medianDuration(rounds, func(p roundPair) time.Duration { return pick(p).latency.Quantile(0.50) }),
		p99:               medianDuration(rounds, func(p roundPair) time.Duration { return pick(p).latency.Quantile(0.99) }),
		p999:              medianDuration(rounds, func(p roundPair) time.Duration { return pick(p).latency.Quantile(0.999) }),
	}
	for process := range cpuProcesses {
		summary.cpuPerThousand[process] = medianOf(rounds, func(p roundPair) float64 {
			return cpuSecondsPerThousand(pick(p), process)
		})
	}
	return summary
}

// cpuSecondsPerThousand is the CPU time process used per 1,000 responses of result.
func cpuSecondsPerThousand(result *roundResult, process int) float64 {
	responses := result.latency.Count()
	if responses == 0 || process >= len(result.cpu) {
		return 0
	}
	return result.cpu[process].Seconds() * 1000 / float64(responses)
}

// median is the middle value, or the mean of the two middle values; zero when empty.
func median(values []float64) float64 {
	if len(values) == 0 {
		return 0
	}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	middle := len(sorted) / 2
	if len(sorted)%2 == 1 {
		return sorted[middle]
	}
	return (sorted[middle-1] + sorted[middle]) / 2
}

func medianOf(rounds []roundPair, value func(roundPair) float64) float64 {
	values := make([]float64, len(rounds))
	for i, pair := range rounds {
		values[i] = value(pair)
	}
	return median(values)
}

func medianDuration(rounds []roundPair, value func(roundPair) time.Duration) time.Duration {
	return time.Duration(medianOf(rounds, func(p roundPair) float64 { return float64(value(p)) }))
}

// formatLatency prints a latency in microseconds, the scale of a loopback hop.
func formatLatency(d time.Duration) string {
	return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
}

// formatAdded is formatLatency with an explicit sign.
func formatAdded(d time.Duration) string {
	return fmt.Sprintf("%+.0fµs", float64(d)/float64(time.Microsecond))
}

// printRound prints one line per scenario as the rounds run, so a long run shows
// progress and its spread.
func printRound(w io.Writer, round, rounds int, name string, result *roundResult) {
	fmt.Fprintf(w, "round %d/%d %-8s  %9.0f req/s  p50 %7s  p99 %7s  p99.9 %7s  failures %d\n",
		round, rounds, name, result.requestsPerSecond(), formatLatency(result.latency.Quantile(0.50)),
		formatLatency(result.latency.Quantile(0.99)), formatLatency(result.latency.Quantile(0.999)), result.failures())
}

// printTable prints the medians across rounds and what Turnpike adds.
func printTable(w io.Writer, rounds []roundPair) {
	direct, turnpike, added := summarize(rounds)
	table := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(table, "scenario\treq/s\tp50\tp99\tp99.9\tadded p50\tadded p99\treq/s ratio\tcpu turnpike\tcpu backend\tcpu bench\t")
	for _, row := range []scenarioSummary{direct, turnpike} {
		addedP50, addedP99, ratio := "-", "-", "-"
		if row.name == "turnpike" {
			addedP50, addedP99 = formatAdded(added.addedP50), formatAdded(added.addedP99)
			ratio = fmt.Sprintf("%.2f", added.throughputRatio)
		}
		cpu := row.cpuPerThousand
		fmt.Fprintf(table, "%s\t%.0f\t%s\t%s\t%s\t%s\t%s\t%s\t%.4f\t%.4f\t%.4f\t\n",
			row.name, row.requestsPerSecond, formatLatency(row.p50), formatLatency(row.p99), formatLatency(row.p999),
			addedP50, addedP99, ratio, cpu[cpuTurnpike], cpu[cpuBackend], cpu[cpuGenerator])
	}
	table.Flush()
}

// failureReport describes every failed request of the run, or returns "" when
// every request got a 200.
func failureReport(rounds []roundPair) string {
	var report strings.Builder
	for i, pair := range rounds {
		for _, scenario := range []struct {
			name   string
			result *roundResult
		}{{"direct", pair.direct}, {"turnpike", pair.turnpike}} {
			result := scenario.result
			if result == nil || result.failures() == 0 {
				continue
			}
			fmt.Fprintf(&report, "  round %d %s: %d failed requests (warm-up included)\n", i+1, scenario.name, result.failures())
			for _, status := range slices.Sorted(maps.Keys(result.statuses)) {
				fmt.Fprintf(&report, "    HTTP %d: %d\n", status, result.statuses[status])
			}
			if result.errors > 0 {
				fmt.Fprintf(&report, "    no response: %d; messages seen:\n", result.errors)
				for _, message := range slices.Sorted(maps.Keys(result.errorSamples)) {
					fmt.Fprintf(&report, "      %dx %s\n", result.errorSamples[message], message)
				}
			}
		}
	}
	return report.String()
}
