package main

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"
)

// The proxies of a run; direct is the backend without a proxy in front.
const (
	proxyDirect   = "direct"
	proxyTurnpike = "turnpike"
	proxyNginx    = "nginx"
)

// runKey names one series of measurements: a scenario through one proxy. The
// direct series has no scenario: the backend is the same for all of them.
type runKey struct {
	scenario, proxy string
}

var directKey = runKey{proxy: proxyDirect}

// measurement is one wrk run and the CPU the processes used meanwhile.
type measurement struct {
	wrk        wrkResult
	proxyCPU   time.Duration // zero for direct
	backendCPU time.Duration
}

// cpuPerThousand is cpu seconds per 1,000 requests of the run.
func (m *measurement) cpuPerThousand(cpu time.Duration) float64 {
	if m.wrk.requests == 0 {
		return 0
	}
	return cpu.Seconds() * 1000 / float64(m.wrk.requests)
}

// proxyBusy is the share of its core the proxy used during the run: near 1, the
// proxy was the bottleneck; well below, the backend or wrk was.
func (m *measurement) proxyBusy() float64 {
	if m.wrk.elapsed <= 0 {
		return 0
	}
	return m.proxyCPU.Seconds() / m.wrk.elapsed.Seconds()
}

// results are the measurements of a run by series, in round order: index r of
// every series is round r.
type results map[runKey][]*measurement

// summaryRow is one line of the table: medians across rounds.
type summaryRow struct {
	key                runKey
	requestsPerSecond  float64
	p50, p99           time.Duration
	addedP50, addedP99 time.Duration // per-round differences with direct, medians
	proxyCPUPerK       float64
	backendCPUPerK     float64
	proxyBusy          float64
}

// comparison is Turnpike against nginx on one scenario; each figure is the median
// of per-round ratios or differences, since the two ran back to back.
type comparison struct {
	scenario        string
	throughputRatio float64       // turnpike req/s / nginx req/s
	addedP99Diff    time.Duration // turnpike's added p99 - nginx's
	cpuRatio        float64       // turnpike CPU per request / nginx's
}

// summarize reduces the rounds of every scenario (in order) to table rows and
// comparisons. A series with fewer rounds than direct (an interrupted run) is
// paired round by round over the rounds it has.
func summarize(scenarios []string, all results) ([]summaryRow, []comparison) {
	direct := all[directKey]
	rows := []summaryRow{summarizeSeries(directKey, direct, nil)}
	var comparisons []comparison
	for _, name := range scenarios {
		turnpike, nginx := all[runKey{name, proxyTurnpike}], all[runKey{name, proxyNginx}]
		rows = append(rows,
			summarizeSeries(runKey{name, proxyTurnpike}, turnpike, direct),
			summarizeSeries(runKey{name, proxyNginx}, nginx, direct))
		rounds := min(len(turnpike), len(nginx), len(direct))
		comparisons = append(comparisons, comparison{
			scenario: name,
			throughputRatio: medianOver(rounds, func(r int) float64 {
				return ratio(turnpike[r].wrk.requestsPerSecond, nginx[r].wrk.requestsPerSecond)
			}),
			addedP99Diff: time.Duration(medianOver(rounds, func(r int) float64 {
				return float64(turnpike[r].wrk.p99 - nginx[r].wrk.p99)
			})),
			cpuRatio: medianOver(rounds, func(r int) float64 {
				return ratio(turnpike[r].cpuPerThousand(turnpike[r].proxyCPU), nginx[r].cpuPerThousand(nginx[r].proxyCPU))
			}),
		})
	}
	return rows, comparisons
}

// summarizeSeries is one row; direct, when given, is the baseline of the added
// latencies (round by round).
func summarizeSeries(key runKey, series, direct []*measurement) summaryRow {
	n := len(series)
	row := summaryRow{
		key:               key,
		requestsPerSecond: medianOver(n, func(r int) float64 { return series[r].wrk.requestsPerSecond }),
		p50:               time.Duration(medianOver(n, func(r int) float64 { return float64(series[r].wrk.p50) })),
		p99:               time.Duration(medianOver(n, func(r int) float64 { return float64(series[r].wrk.p99) })),
		proxyCPUPerK:      medianOver(n, func(r int) float64 { return series[r].cpuPerThousand(series[r].proxyCPU) }),
		backendCPUPerK:    medianOver(n, func(r int) float64 { return series[r].cpuPerThousand(series[r].backendCPU) }),
		proxyBusy:         medianOver(n, func(r int) float64 { return series[r].proxyBusy() }),
	}
	if direct != nil {
		paired := min(n, len(direct))
		row.addedP50 = time.Duration(medianOver(paired, func(r int) float64 { return float64(series[r].wrk.p50 - direct[r].wrk.p50) }))
		row.addedP99 = time.Duration(medianOver(paired, func(r int) float64 { return float64(series[r].wrk.p99 - direct[r].wrk.p99) }))
	}
	return row
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// medianOver is the median of value(0..n-1): the middle one, or the mean of the
// two middle ones; zero when n is 0.
func medianOver(n int, value func(int) float64) float64 {
	if n <= 0 {
		return 0
	}
	values := make([]float64, n)
	for i := range values {
		values[i] = value(i)
	}
	slices.Sort(values)
	if n%2 == 1 {
		return values[n/2]
	}
	return (values[n/2-1] + values[n/2]) / 2
}

func formatMicros(d time.Duration) string {
	return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
}

func formatAddedMicros(d time.Duration) string {
	return fmt.Sprintf("%+.0fµs", float64(d)/float64(time.Microsecond))
}

// printProxyTable prints the medians of every series, then Turnpike against nginx.
func printProxyTable(w io.Writer, rows []summaryRow, comparisons []comparison) {
	table := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(table, "scenario\tproxy\treq/s\tp50\tp99\tadded p50\tadded p99\tproxy cpu s/1k req\tbackend cpu s/1k req\tproxy core busy\t")
	for _, row := range rows {
		scenarioName, added50, added99, proxyCPU, busy := row.key.scenario, "-", "-", "-", "-"
		if row.key.proxy != proxyDirect {
			added50, added99 = formatAddedMicros(row.addedP50), formatAddedMicros(row.addedP99)
			proxyCPU = fmt.Sprintf("%.4f", row.proxyCPUPerK)
			busy = fmt.Sprintf("%.0f%%", row.proxyBusy*100)
		} else {
			scenarioName = "(no proxy)"
		}
		fmt.Fprintf(table, "%s\t%s\t%.0f\t%s\t%s\t%s\t%s\t%s\t%.4f\t%s\t\n", scenarioName, row.key.proxy,
			row.requestsPerSecond, formatMicros(row.p50), formatMicros(row.p99), added50, added99,
			proxyCPU, row.backendCPUPerK, busy)
	}
	table.Flush()
	fmt.Fprintln(w)
	table = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(table, "scenario\treq/s turnpike/nginx\tadded p99 turnpike-nginx\tcpu per request turnpike/nginx\t")
	for _, c := range comparisons {
		fmt.Fprintf(table, "%s\t%.2f\t%s\t%.2f\t\n", c.scenario, c.throughputRatio, formatAddedMicros(c.addedP99Diff), c.cpuRatio)
	}
	table.Flush()
}

// verdict is "met" or "NOT met".
func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

// printPlainProxyTarget states the target for plain proxying against the
// one-route comparison.
func printPlainProxyTarget(w io.Writer, c comparison) {
	fmt.Fprintf(w, "target, plain proxying (%s): req/s at least nginx's: %.2fx, %s; added p99 no worse than nginx's: %s, %s\n",
		c.scenario, c.throughputRatio, verdict(c.throughputRatio >= 1), formatAddedMicros(c.addedP99Diff), verdict(c.addedP99Diff <= 0))
}
