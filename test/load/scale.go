package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/turnpike-gateway/turnpike/test/internal/harness"
)

// The targets for 10,000 HTTPRoutes.
const (
	compileTarget = time.Second
	memoryTarget  = 300 << 20
	// flatFactor is how much dearer a lookup among 10,000 routes may be than among
	// 10 to count as independent of the number of routes (a linear scan is ~1,000x).
	flatFactor = 2.0
	// idleSettle is how long the process idles before its steady memory is read.
	idleSettle = 5 * time.Second
	// sampledRoutes is how many routes, spread over the set, are checked to answer.
	sampledRoutes = 200
)

// scaleSettings are the knobs of the scale mode.
type scaleSettings struct {
	routes int
}

// scaleFigures are what the scale mode measured of the running process.
type scaleFigures struct {
	machine           string
	configBytes       int64
	cpuAtReady        time.Duration // CPU time the process used until /readyz
	readyAfter        time.Duration // process start to /readyz 200
	lastRouteAfter    time.Duration // process start to the last route answering
	atReady, atSettle harness.Memory
}

// runScaleMode serves settings.routes HTTPRoutes with `turnpike standalone`, reads
// its start-up time and memory, runs the compiler and router benchmarks, and
// prints every figure against its target.
func runScaleMode(ctx context.Context, procs *harness.Processes, workDir string, settings scaleSettings, stdout, stderr io.Writer) error {
	root, err := harness.ModuleRoot(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(stderr, "load: building cmd/turnpike from", root)
	turnpike, err := harness.BuildTurnpike(ctx, root, workDir)
	if err != nil {
		return err
	}
	figures, err := measureServing(ctx, procs, workDir, turnpike, settings.routes, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintln(stderr, "load: running the compiler and router benchmarks")
	compile, compileErr := runGoBench(ctx, root, "./controllers/compiler", "^BenchmarkCompile10000Routes$")
	match, matchErr := runGoBench(ctx, root, "./dataplane/router", "^BenchmarkMatch")
	printScaleReport(stdout, settings.routes, figures, compile, match)
	return errors.Join(compileErr, matchErr)
}

// measureServing starts the backend and Turnpike on a generated configuration of
// routes HTTPRoutes and measures start-up and memory; Turnpike is stopped after.
func measureServing(ctx context.Context, procs *harness.Processes, workDir, turnpike string, routes int, log io.Writer) (scaleFigures, error) {
	figures := scaleFigures{machine: machineDetails()}
	ports, err := harness.FreePorts(3)
	if err != nil {
		return figures, err
	}
	backendAddress, admin := harness.Loopback(ports[0]), harness.Loopback(ports[2])
	self, err := os.Executable()
	if err != nil {
		return figures, fmt.Errorf("finding the harness binary to start the backend: %w", err)
	}
	backend, err := procs.Start("backend", self, backendSubcommand, "--listen", backendAddress)
	if err != nil {
		return figures, err
	}
	defer procs.Stop(backend)
	if err := harness.WaitFor(ctx, backend, startupTimeout, "backend", statusCheck(backendAddress, "", "/", http.StatusOK)); err != nil {
		return figures, err
	}

	set := routeSet{routes: routes, hostnames: true, listenerPort: ports[1], backendPort: ports[0]}
	configDir := filepath.Join(workDir, "scale-config")
	if err := os.Mkdir(configDir, 0o700); err != nil {
		return figures, fmt.Errorf("creating the configuration directory: %w", err)
	}
	if err := set.write(configDir); err != nil {
		return figures, err
	}
	if figures.configBytes, err = directorySize(configDir); err != nil {
		return figures, err
	}
	fmt.Fprintf(log, "load: serving %s HTTPRoutes (%.1f MB of YAML)\n", thousands(routes), float64(figures.configBytes)/(1<<20))
	started := time.Now()
	process, err := procs.Start("turnpike", turnpike, "standalone", "--config", configDir, "--admin-address", admin, "--log-level", "error", "--access-log", "off")
	if err != nil {
		return figures, err
	}
	defer procs.Stop(process)
	if figures.readyAfter, err = timeUntil(ctx, process, started, harness.HTTPOKCheck("http://"+admin+"/readyz")); err != nil {
		return figures, fmt.Errorf("waiting for /readyz: %w", err)
	}
	if figures.atReady, err = harness.ProcessMemory(process.PID()); err != nil {
		return figures, err
	}
	if figures.cpuAtReady, err = harness.ProcessCPU(process.PID()); err != nil {
		return figures, err
	}
	listener := harness.Loopback(set.listenerPort)
	host, path := set.requestFor(routes - 1)
	if figures.lastRouteAfter, err = timeUntil(ctx, process, started, statusCheck(listener, host, path, http.StatusOK)); err != nil {
		return figures, fmt.Errorf("waiting for the last route: %w", err)
	}
	// A sample across the whole set must answer too: the figures are of a process
	// that serves every route, not one that dropped most of them.
	step := max(1, routes/sampledRoutes)
	for i := 0; i < routes; i += step {
		host, path := set.requestFor(i)
		if err := statusCheck(listener, host, path, http.StatusOK)(); err != nil {
			return figures, fmt.Errorf("route %d of %d does not answer: %w", i, routes, err)
		}
	}
	if err := harness.Sleep(ctx, idleSettle); err != nil {
		return figures, err
	}
	if figures.atSettle, err = harness.ProcessMemory(process.PID()); err != nil {
		return figures, err
	}
	if output := strings.TrimSpace(process.Output.String()); output != "" {
		fmt.Fprintf(log, "load: turnpike wrote, at log level error:\n%s\n", output)
	}
	return figures, nil
}

// timeUntil polls check every 10ms and returns how long after started it first
// succeeded.
func timeUntil(ctx context.Context, process *harness.Process, started time.Time, check func() error) (time.Duration, error) {
	ticker := time.NewTicker(10 * time.Millisecond)
	defer ticker.Stop()
	deadline := time.NewTimer(2 * startupTimeout)
	defer deadline.Stop()
	for {
		lastErr := check()
		if lastErr == nil {
			return time.Since(started), nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-process.Exited:
			return 0, process.ExitError()
		case <-deadline.C:
			return 0, fmt.Errorf("not within %s: %w", 2*startupTimeout, lastErr)
		case <-ticker.C:
		}
	}
}

func directorySize(dir string) (int64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, entry := range entries {
		info, err := entry.Info()
		if err != nil {
			return 0, err
		}
		total += info.Size()
	}
	return total, nil
}

// thousands formats n with thousands separators: 10000 as "10,000".
func thousands(n int) string {
	digits := strconv.Itoa(n)
	var out strings.Builder
	for i, digit := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 && digits[i-1] != '-' {
			out.WriteByte(',')
		}
		out.WriteRune(digit)
	}
	return out.String()
}

func megabytes(bytes uint64) string { return fmt.Sprintf("%.0f MB", float64(bytes)/(1<<20)) }

// lookupFlatness is the cost of a lookup among the most routes over that among
// the fewest, for the sub-benchmarks of one router benchmark ("name/routes=N").
func lookupFlatness(results []goBenchmark, name string, counts []int) (costs []float64, factor float64, ok bool) {
	for _, count := range counts {
		result, found := findBenchmark(results, fmt.Sprintf("%s/routes=%d", name, count))
		if !found {
			return nil, 0, false
		}
		costs = append(costs, result.nsPerOp)
	}
	if costs[0] <= 0 {
		return nil, 0, false
	}
	return costs, costs[len(costs)-1] / costs[0], true
}

// printScaleReport prints every figure of the scale mode against its target.
func printScaleReport(w io.Writer, routes int, figures scaleFigures, compile, match []goBenchmark) {
	fmt.Fprintf(w, "turnpike load, scale: %s HTTPRoutes (own hostname, path prefix, Service and EndpointSlice each; %.1f MB of YAML)\n",
		thousands(routes), float64(figures.configBytes)/(1<<20))
	fmt.Fprintf(w, "machine: %s\n", figures.machine)
	fmt.Fprintln(w, "turnpike standalone runs unpinned; the benchmarks are `go test -bench` of the packages named below")
	fmt.Fprintln(w)
	table := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(table, "figure\tmeasured\ttarget\tverdict")
	if result, ok := findBenchmark(compile, "BenchmarkCompile10000Routes"); ok {
		perOp := time.Duration(result.nsPerOp)
		fmt.Fprintf(table, "compile 10,000 routes (controllers/compiler BenchmarkCompile10000Routes)\t%s/op, %s/op, %d allocs/op\t< %s\t%s\n",
			perOp.Round(time.Millisecond), megabytes(uint64(max(result.bytesPerOp, 0))), result.allocsPerOp, compileTarget, verdict(perOp < compileTarget))
	} else {
		fmt.Fprintln(table, "compile 10,000 routes (controllers/compiler BenchmarkCompile10000Routes)\tnot measured (see the error below)\t< 1s\t-")
	}
	fmt.Fprintf(table, "start to /readyz (load, validate, compile, serve %s routes)\t%s\t(context)\t-\n", thousands(routes), figures.readyAfter.Round(time.Millisecond))
	fmt.Fprintf(table, "CPU time used until /readyz (user+system, all cores)\t%s\t(context)\t-\n", figures.cpuAtReady.Round(10*time.Millisecond))
	fmt.Fprintf(table, "start to the last route answering\t%s\t(context)\t-\n", figures.lastRouteAfter.Round(time.Millisecond))
	fmt.Fprintf(table, "resident memory, peak since start (VmHWM)\t%s\t< %s\t%s\n",
		megabytes(figures.atSettle.Peak), megabytes(memoryTarget), verdict(figures.atSettle.Peak < memoryTarget))
	fmt.Fprintf(table, "resident memory at /readyz (VmRSS)\t%s\t< %s\t%s\n",
		megabytes(figures.atReady.Resident), megabytes(memoryTarget), verdict(figures.atReady.Resident < memoryTarget))
	fmt.Fprintf(table, "resident memory after %s idle (VmRSS)\t%s\t< %s\t%s\n", idleSettle,
		megabytes(figures.atSettle.Resident), megabytes(memoryTarget), verdict(figures.atSettle.Resident < memoryTarget))
	counts := []int{10, 1000, 10000}
	for _, name := range []string{"BenchmarkMatch", "BenchmarkMatchOneHost"} {
		label := fmt.Sprintf("route lookup at 10 / 1,000 / 10,000 routes (dataplane/router %s)", name)
		costs, factor, ok := lookupFlatness(match, name, counts)
		if !ok {
			fmt.Fprintf(table, "%s\tnot measured\tflat (<= %.0fx)\t-\n", label, flatFactor)
			continue
		}
		fmt.Fprintf(table, "%s\t%.0f / %.0f / %.0f ns/op (%.2fx)\tflat (<= %.0fx)\t%s\n",
			label, costs[0], costs[1], costs[2], factor, flatFactor, verdict(factor <= flatFactor))
	}
	table.Flush()
}
