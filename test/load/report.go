package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
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

// reportScenario is one scenario of the table: its name and, when nginx could not
// serve it, why.
type reportScenario struct {
	name, nginxMissing string
}

// summaryRow is one line of the table: medians across rounds.
type summaryRow struct {
	key runKey
	// missing says why the series was not measured (nginx on a JWT scenario); the
	// row then shows n/a.
	missing            string
	requestsPerSecond  float64
	p50, p99           time.Duration
	addedP50, addedP99 time.Duration // per-round differences with direct, medians
	proxyCPUPerK       float64
	backendCPUPerK     float64
	proxyBusy          float64
}

// comparison is Turnpike against nginx on one scenario, and each against its own
// figure on the first scenario (one route); each figure is the median of per-round
// ratios or differences, since the series of a round ran back to back.
type comparison struct {
	scenario string
	// baseline is true for the first scenario, the one the "of plain" ratios
	// divide by.
	baseline bool
	// againstNginx is false when nginx did not run the scenario: the turnpike/nginx
	// figures and nginxOfPlain are then n/a.
	againstNginx    bool
	throughputRatio float64       // turnpike req/s / nginx req/s
	addedP99Diff    time.Duration // turnpike's added p99 - nginx's
	cpuRatio        float64       // turnpike CPU per request / nginx's
	// turnpikeOfPlain and nginxOfPlain are each proxy's req/s over its own req/s
	// on the baseline scenario: what the scenario's features cost it.
	turnpikeOfPlain, nginxOfPlain float64
}

// summarize reduces the rounds of every scenario (in order; the first is the
// baseline of the "of plain" ratios) to table rows and comparisons. A series with
// fewer rounds than another (an interrupted run) is paired round by round over
// the rounds both have.
func summarize(scenarios []reportScenario, all results) ([]summaryRow, []comparison) {
	direct := all[directKey]
	rows := []summaryRow{summarizeSeries(directKey, direct, nil)}
	var comparisons []comparison
	var plainTurnpike, plainNginx []*measurement
	if len(scenarios) > 0 {
		plainTurnpike, plainNginx = all[runKey{scenarios[0].name, proxyTurnpike}], all[runKey{scenarios[0].name, proxyNginx}]
	}
	ofPlain := func(series, plain []*measurement) float64 {
		return medianOver(min(len(series), len(plain)), func(r int) float64 {
			return ratio(series[r].wrk.requestsPerSecond, plain[r].wrk.requestsPerSecond)
		})
	}
	for i, sc := range scenarios {
		turnpike, nginx := all[runKey{sc.name, proxyTurnpike}], all[runKey{sc.name, proxyNginx}]
		rows = append(rows, summarizeSeries(runKey{sc.name, proxyTurnpike}, turnpike, direct))
		c := comparison{scenario: sc.name, baseline: i == 0, turnpikeOfPlain: ofPlain(turnpike, plainTurnpike)}
		if sc.nginxMissing != "" {
			rows = append(rows, summaryRow{key: runKey{sc.name, proxyNginx}, missing: sc.nginxMissing})
			comparisons = append(comparisons, c)
			continue
		}
		rows = append(rows, summarizeSeries(runKey{sc.name, proxyNginx}, nginx, direct))
		rounds := min(len(turnpike), len(nginx))
		c.againstNginx = true
		c.nginxOfPlain = ofPlain(nginx, plainNginx)
		c.throughputRatio = medianOver(rounds, func(r int) float64 {
			return ratio(turnpike[r].wrk.requestsPerSecond, nginx[r].wrk.requestsPerSecond)
		})
		c.addedP99Diff = time.Duration(medianOver(rounds, func(r int) float64 {
			return float64(turnpike[r].wrk.p99 - nginx[r].wrk.p99)
		}))
		c.cpuRatio = medianOver(rounds, func(r int) float64 {
			return ratio(turnpike[r].cpuPerThousand(turnpike[r].proxyCPU), nginx[r].cpuPerThousand(nginx[r].proxyCPU))
		})
		comparisons = append(comparisons, c)
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

// notApplicable fills the cells of a figure that does not exist.
const notApplicable = "n/a"

// printProxyTable prints the medians of every series, then Turnpike against nginx
// and each against its own baseline figure.
func printProxyTable(w io.Writer, rows []summaryRow, comparisons []comparison) {
	table := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(table, "scenario\tproxy\treq/s\tp50\tp99\tadded p50\tadded p99\tproxy cpu s/1k req\tbackend cpu s/1k req\tproxy core busy\t")
	for _, row := range rows {
		scenarioName := row.key.scenario
		if row.missing != "" {
			fmt.Fprintf(table, "%s\t%s%s\t\n", scenarioName, row.key.proxy, strings.Repeat("\t"+notApplicable, 8))
			continue
		}
		added50, added99, proxyCPU, busy := "-", "-", "-", "-"
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
	baseline := "the first scenario"
	if len(comparisons) > 0 {
		baseline = comparisons[0].scenario
	}
	table = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(table, "scenario\treq/s turnpike/nginx\tadded p99 turnpike-nginx\tcpu per request turnpike/nginx\tturnpike req/s / its %[1]s\tnginx req/s / its %[1]s\t\n", baseline)
	for _, c := range comparisons {
		throughput, p99, cpu, turnpikeOfPlain, nginxOfPlain := notApplicable, notApplicable, notApplicable, "-", "-"
		if c.againstNginx {
			throughput, p99, cpu = fmt.Sprintf("%.2f", c.throughputRatio), formatAddedMicros(c.addedP99Diff), fmt.Sprintf("%.2f", c.cpuRatio)
		}
		if !c.baseline {
			turnpikeOfPlain, nginxOfPlain = fmt.Sprintf("%.2f", c.turnpikeOfPlain), notApplicable
			if c.againstNginx {
				nginxOfPlain = fmt.Sprintf("%.2f", c.nginxOfPlain)
			}
		}
		fmt.Fprintf(table, "%s\t%s\t%s\t%s\t%s\t%s\t\n", c.scenario, throughput, p99, cpu, turnpikeOfPlain, nginxOfPlain)
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

// ownPlainTarget is the bar for JWT + rate limit: at least this share of
// Turnpike's own plain (one-route) requests/s.
const ownPlainTarget = 0.8

// printJWTTarget states the target for JWT + rate limit against
// Turnpike's own one-route figure, with JWT alone beside it to show how much of
// the cost is the token check.
func printJWTTarget(w io.Writer, comparisons []comparison) {
	find := func(name string) *comparison {
		for i := range comparisons {
			if comparisons[i].scenario == name && !comparisons[i].baseline {
				return &comparisons[i]
			}
		}
		return nil
	}
	fmt.Fprintf(w, "target, JWT + rate limit (%s): req/s at least %.2fx Turnpike's own on %s: ", scenarioAuthLimit, ownPlainTarget, scenarioOneRoute)
	if c := find(scenarioAuthLimit); c != nil {
		fmt.Fprintf(w, "%.2fx, %s", c.turnpikeOfPlain, verdict(c.turnpikeOfPlain >= ownPlainTarget))
	} else {
		fmt.Fprint(w, "not measured (see the skipped scenarios)")
	}
	if c := find(scenarioJWT); c != nil {
		fmt.Fprintf(w, "; JWT alone: %.2fx\n", c.turnpikeOfPlain)
	} else {
		fmt.Fprint(w, "; JWT alone: not measured\n")
	}
}

// printNginxMissing says, once per reason, why nginx has no figures for some
// scenarios.
func printNginxMissing(w io.Writer, scenarios []reportScenario) {
	var reasons []string
	byReason := map[string][]string{}
	for _, sc := range scenarios {
		if sc.nginxMissing == "" {
			continue
		}
		if _, seen := byReason[sc.nginxMissing]; !seen {
			reasons = append(reasons, sc.nginxMissing)
		}
		byReason[sc.nginxMissing] = append(byReason[sc.nginxMissing], sc.name)
	}
	for _, reason := range reasons {
		fmt.Fprintf(w, "nginx n/a (%s): %s\n", strings.Join(byReason[reason], ", "), reason)
	}
}
