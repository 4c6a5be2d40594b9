package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/turnpike-gateway/turnpike/test/internal/harness"
)

// benchFlags are the knobs of a run; the defaults keep `make bench` well under two
// minutes: 3 rounds x 2 scenarios x (1s + 5s) of load plus start-up.
type benchFlags struct {
	duration    time.Duration
	warmup      time.Duration
	rounds      int
	connections int
}

func (f *benchFlags) register(fs *flag.FlagSet) {
	fs.DurationVar(&f.duration, "duration", 5*time.Second, "measured time of each scenario in each round")
	fs.DurationVar(&f.warmup, "warmup", time.Second, "unmeasured load before each measurement")
	fs.IntVar(&f.rounds, "rounds", 3, "rounds of direct then turnpike; the table shows medians across rounds")
	fs.IntVar(&f.connections, "connections", 32, "concurrent keep-alive connections, one request in flight on each")
}

func (f *benchFlags) validate() error {
	switch {
	case f.duration <= 0:
		return fmt.Errorf("-duration must be positive, not %s", f.duration)
	case f.warmup < 0:
		return fmt.Errorf("-warmup must not be negative, not %s", f.warmup)
	case f.rounds < 1:
		return fmt.Errorf("-rounds must be at least 1, not %d", f.rounds)
	case f.connections < 1:
		return fmt.Errorf("-connections must be at least 1, not %d", f.connections)
	}
	return nil
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == backendSubcommand {
		os.Exit(runBackend(os.Args[2:], os.Stderr))
	}
	os.Exit(runBench(os.Args[1:], os.Stdout, os.Stderr))
}

// runBench is the harness; it returns the process exit code: 0 when every request
// got a 200, 1 on failed requests or a broken set-up, 2 on bad flags, 130 when
// interrupted. Every child is stopped before it returns.
func runBench(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var settings benchFlags
	settings.register(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if err := settings.validate(); err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	workDir, err := os.MkdirTemp("", "turnpike-bench-")
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	defer os.RemoveAll(workDir)
	procs := &harness.Processes{}
	defer procs.StopAll() // runs before the directory holding the binaries goes

	err = bench(ctx, procs, workDir, settings, stdout, stderr)
	switch {
	case err == nil:
		return 0
	case ctx.Err() != nil:
		fmt.Fprintln(stderr, "bench: interrupted; stopping the backend and turnpike")
		return 130
	default:
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
}

// bench starts the environment, runs the rounds and prints the results.
func bench(ctx context.Context, procs *harness.Processes, workDir string, settings benchFlags, stdout, stderr io.Writer) error {
	env, err := startEnvironment(ctx, procs, workDir, stderr)
	if err != nil {
		return err
	}
	printHeader(stdout, settings)
	load := loadSettings{
		connections:    settings.connections,
		warmup:         settings.warmup,
		duration:       settings.duration,
		requestTimeout: 5 * time.Second,
	}
	pids := make([]int, cpuProcesses)
	pids[cpuTurnpike], pids[cpuBackend], pids[cpuGenerator] = env.turnpike.PID(), env.backend.PID(), os.Getpid()
	direct := loadTarget{addresses: env.directAddresses, path: "/"}
	proxied := loadTarget{addresses: []string{env.turnpikeAddress}, path: "/"}

	var rounds []roundPair
	for round := 1; round <= settings.rounds; round++ {
		var pair roundPair
		if pair.direct, err = runLoad(ctx, direct, load, pids); err != nil {
			return fmt.Errorf("round %d, direct: %w", round, err)
		}
		printRound(stdout, round, settings.rounds, "direct", pair.direct)
		if pair.turnpike, err = runLoad(ctx, proxied, load, pids); err != nil {
			return fmt.Errorf("round %d, turnpike: %w", round, err)
		}
		printRound(stdout, round, settings.rounds, "turnpike", pair.turnpike)
		rounds = append(rounds, pair)
	}

	fmt.Fprintf(stdout, "\nmedians of %d round(s); added p50/p99 and req/s ratio are medians of the per-round turnpike-vs-direct\n", len(rounds))
	fmt.Fprintln(stdout, "pairs; cpu = CPU seconds (user+system) per 1,000 responses of each process in the measured window")
	printTable(stdout, rounds)
	failures := failureReport(rounds)
	if output := strings.TrimSpace(env.turnpike.Output.String()); output != "" {
		fmt.Fprintf(stdout, "\nturnpike wrote (log level error):\n%s\n", output)
	}
	if failures != "" {
		fmt.Fprintf(stdout, "\nFAILED REQUESTS: the figures above are not valid.\n%s", failures)
		return errors.New("some requests did not get a 200; see FAILED REQUESTS above")
	}
	return nil
}

// printHeader says what runs where, so a figure is never read without its context.
func printHeader(w io.Writer, settings benchFlags) {
	fmt.Fprintln(w, "turnpike bench: quick-start config, GET / (routed to hello-1 and hello-2 in turn),")
	fmt.Fprintln(w, "  direct to the backend's two listeners vs through turnpike standalone; HTTP/1.1 keep-alive, 127.0.0.1")
	fmt.Fprintf(w, "machine: nproc %d, GOMAXPROCS %d, %s %s/%s%s\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), runtime.GOOS, runtime.GOARCH, machineDetails())
	fmt.Fprintf(w, "settings: %d connections (closed loop), %s warm-up + %s measured per scenario, rounds: %d (direct, turnpike, direct, ...)\n",
		settings.connections, settings.warmup, settings.duration, settings.rounds)
	fmt.Fprintf(w, "note: the load generator, the backend and turnpike share these %d CPUs without pinning, so the\n", runtime.NumCPU())
	fmt.Fprintln(w, "  generator's own cost lowers both rows; compare the rows, not the absolute figures (nginx")
	fmt.Fprintln(w, "  side by side with CPU pinning is a later issue)")
	fmt.Fprintln(w)
}

// machineDetails adds the CPU model and the load average at start when /proc has
// them: a busy shared machine explains a noisy run.
func machineDetails() string {
	var details strings.Builder
	if cpuinfo, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range bytes.Lines(cpuinfo) {
			if name, value, ok := strings.Cut(string(line), ":"); ok && strings.TrimSpace(name) == "model name" {
				details.WriteString(", " + strings.TrimSpace(value))
				break
			}
		}
	}
	if loadavg, err := os.ReadFile("/proc/loadavg"); err == nil {
		if fields := strings.Fields(string(loadavg)); len(fields) >= 3 {
			details.WriteString(", load average " + strings.Join(fields[:3], " ") + " at start")
		}
	}
	return details.String()
}
