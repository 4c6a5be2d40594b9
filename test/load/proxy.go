package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/turnpike-gateway/turnpike/test/internal/harness"
)

// proxySettings are the knobs of the proxy comparison.
type proxySettings struct {
	duration, warmup time.Duration
	rounds           int
	connections      int
	routes           int
}

// target is where one series sends its load, and the process whose CPU it charges.
type target struct {
	key        runKey
	url, host  string
	headers    []header
	proxy      *harness.Process // nil for direct
	backendPID int
}

// runProxyMode compares Turnpike with nginx on every scenario that can run and
// prints the table; it fails when any request did not get a 2xx.
func runProxyMode(ctx context.Context, procs *harness.Processes, workDir string, settings proxySettings, stdout, stderr io.Writer) error {
	cpus, err := allowedCPUs()
	if err != nil {
		return err
	}
	layout := planLayout(cpus)
	if err := requireTools(layout.proxy != ""); err != nil {
		return err
	}
	nginx, err := findNginx()
	if err != nil {
		return err
	}
	root, err := harness.ModuleRoot(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(stderr, "load: building cmd/turnpike from", root)
	turnpike, err := harness.BuildTurnpike(ctx, root, workDir)
	if err != nil {
		return err
	}
	// The issuer of the JWT scenarios is up before the first Turnpike starts.
	creds, issuer, err := newRunCredentials()
	if err != nil {
		return err
	}
	defer issuer.close()
	scenarios, skipped := planScenarios(root, settings.routes, creds)
	s := &setup{procs: procs, workDir: workDir, turnpike: turnpike, nginx: nginx, layout: layout, log: stderr}
	env, err := startProxyEnvironment(ctx, s, scenarios, skipped)
	if err != nil {
		return err
	}

	withAuth := slices.ContainsFunc(env.targets, func(t *scenarioTargets) bool { return t.scenario.credential.isSet() })
	printProxyHeader(stdout, settings, layout, nginx, withAuth)
	all := results{}
	var failures []string
	run := func(round int, t target) error {
		m, failure, err := measure(ctx, procs, layout.generator, t, settings)
		if err != nil {
			return fmt.Errorf("round %d, %s %s: %w", round+1, t.key.scenario, t.key.proxy, err)
		}
		if failure != "" {
			failures = append(failures, fmt.Sprintf("round %d, %s %s: %s", round+1, t.key.scenario, t.key.proxy, failure))
		}
		all[t.key] = append(all[t.key], m)
		fmt.Fprintf(stdout, "round %d/%d  %-30s %-8s %8.0f req/s  p50 %7s  p99 %7s  proxy busy %3.0f%%\n",
			round+1, settings.rounds, t.key.scenario, t.key.proxy, m.wrk.requestsPerSecond,
			formatMicros(m.wrk.p50), formatMicros(m.wrk.p99), m.proxyBusy()*100)
		return nil
	}
	direct := target{key: directKey, url: "http://" + env.backendAddress + "/", backendPID: env.backend.PID()}
	var reported []reportScenario
	for _, t := range env.targets {
		reported = append(reported, reportScenario{name: t.scenario.name, nginxMissing: t.nginxMissing})
	}
	for round := range settings.rounds {
		if err := run(round, direct); err != nil {
			return err
		}
		for _, t := range env.targets {
			// A B on even rounds, B A on odd ones: drift in the machine's load
			// then favours neither proxy.
			pair := []target{
				{key: runKey{t.scenario.name, proxyTurnpike}, url: "http://" + t.turnpike.address + t.path, host: t.host, headers: t.headers(),
					proxy: t.turnpike.process, backendPID: env.backend.PID()},
			}
			if t.nginxMissing == "" {
				pair = append(pair, target{key: runKey{t.scenario.name, proxyNginx}, url: "http://" + t.nginx.address + t.path, host: t.host, headers: t.headers(),
					proxy: t.nginx.process, backendPID: env.backend.PID()})
			}
			if round%2 == 1 && len(pair) == 2 {
				pair[0], pair[1] = pair[1], pair[0]
			}
			for _, p := range pair {
				if err := run(round, p); err != nil {
					return err
				}
			}
		}
	}

	fmt.Fprintf(stdout, "\nmedians of %d rounds; added p50/p99 = the proxy's figure minus the direct one of the same round\n", settings.rounds)
	fmt.Fprintln(stdout, "(median of the per-round differences); cpu = CPU seconds (user+system, /proc/PID/stat) per 1,000 requests;")
	fmt.Fprintln(stdout, "proxy core busy = the proxy's CPU time over the run's wall time (100% = its core was saturated)")
	rows, comparisons := summarize(reported, all)
	printProxyTable(stdout, rows, comparisons)
	fmt.Fprintln(stdout)
	printNginxMissing(stdout, reported)
	if len(comparisons) > 0 {
		printPlainProxyTarget(stdout, comparisons[0])
	}
	printJWTTarget(stdout, comparisons)
	sortSkipped(env.skipped)
	printSkipped(stdout, env.skipped)
	for _, t := range env.targets {
		if output := strings.TrimSpace(t.turnpike.process.Output.String()); output != "" {
			fmt.Fprintf(stdout, "\nturnpike (%s) wrote, at log level error:\n%s\n", t.scenario.name, output)
		}
	}
	if len(failures) > 0 {
		fmt.Fprintf(stdout, "\nFAILED REQUESTS: the figures above are not valid.\n  %s\n", strings.Join(failures, "\n  "))
		return errors.New("some requests did not get a 2xx; see FAILED REQUESTS above")
	}
	return nil
}

// measure warms t up, then runs wrk against it, sampling the CPU time of the proxy
// and the backend around the measured run. failure describes non-2xx answers or
// socket errors, in the warm-up or the run.
func measure(ctx context.Context, procs *harness.Processes, cpu string, t target, settings proxySettings) (m *measurement, failure string, err error) {
	run := wrkRun{cpu: cpu, connections: settings.connections, timeout: 5 * time.Second, host: t.host, headers: t.headers, url: t.url}
	var failures []string
	if settings.warmup > 0 {
		run.duration = settings.warmup
		warm, err := run.run(ctx, procs)
		if err != nil {
			return nil, "", fmt.Errorf("warm-up: %w", err)
		}
		if warm.failed() {
			failures = append(failures, fmt.Sprintf("warm-up: %d non-2xx, %d socket errors", warm.non2xx, warm.socketErrors))
		}
	}
	pids := []int{t.backendPID}
	if t.proxy != nil {
		pids = append(pids, t.proxy.PID())
	}
	before, err := harness.SampleCPU(pids)
	if err != nil {
		return nil, "", err
	}
	run.duration = settings.duration
	result, err := run.run(ctx, procs)
	if err != nil {
		return nil, "", err
	}
	after, err := harness.SampleCPU(pids)
	if err != nil {
		return nil, "", err
	}
	if result.failed() {
		failures = append(failures, fmt.Sprintf("%d non-2xx, %d socket errors of %d requests", result.non2xx, result.socketErrors, result.requests))
	}
	m = &measurement{wrk: result, backendCPU: after[0] - before[0]}
	if t.proxy != nil {
		m.proxyCPU = after[1] - before[1]
	}
	return m, strings.Join(failures, "; "), nil
}

// printProxyHeader says what runs where, so that a figure is never read without
// its context.
func printProxyHeader(w io.Writer, settings proxySettings, layout cpuLayout, nginx string, withAuth bool) {
	fmt.Fprintln(w, "turnpike load: Turnpike (standalone) vs nginx as reverse proxies to the same fasthttp backend, 127.0.0.1 only")
	fmt.Fprintf(w, "machine: %s\n", machineDetails())
	fmt.Fprintf(w, "cpu layout: %s (taskset; Go sizes GOMAXPROCS to the pinned CPU)\n", layout.note)
	fmt.Fprintf(w, "nginx: %s, one process (master_process off, the worker's event loop), upstream keepalive, HTTP/1.1, access_log off\n", nginxVersion(nginx))
	fmt.Fprintf(w, "load: wrk, 1 thread, %d connections (keep-alive, closed loop), %s warm-up + %s measured per series, rounds: %d\n",
		settings.connections, settings.warmup, settings.duration, settings.rounds)
	fmt.Fprintln(w, "      each round: direct, then per scenario turnpike/nginx (nginx/turnpike on odd rounds)")
	if withAuth {
		printAuthHeader(w)
	}
	fmt.Fprintln(w)
}

// printAuthHeader says what the AuthPolicy scenarios send.
func printAuthHeader(w io.Writer) {
	fmt.Fprintln(w, "auth: one client, the same credential on every request: an API key from a labelled Secret (APIKEY scheme), or an RS256")
	fmt.Fprintln(w, "      token of the run's loopback issuer (key generated for the run, found by OpenID discovery), so the AuthPolicy rows")
	fmt.Fprintln(w, "      show the steady per-request cost for a returning client; rate limits are never hit")
}

// printSkipped lists the scenarios of the issue this run did not measure.
func printSkipped(w io.Writer, skipped []skippedScenario) {
	if len(skipped) == 0 {
		return
	}
	fmt.Fprintln(w, "skipped scenarios:")
	for _, s := range skipped {
		fmt.Fprintf(w, "  %s: %s\n", s.name, s.reason)
	}
}
