package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/turnpike-gateway/turnpike/test/internal/harness"
)

// The modes of the harness; see doc.go.
const (
	modeProxy = "proxy"
	modeScale = "scale"
	modeApply = "apply"
	modeAll   = "all"
)

// loadFlags are the knobs of a run. The defaults keep the proxy mode under five
// minutes: 3 rounds x 11 series (direct; Turnpike and nginx on four scenarios,
// Turnpike alone on the two JWT ones) x (1s + 5s) of load, about 3.3 minutes,
// plus the build and start-up.
type loadFlags struct {
	mode    string
	timeout time.Duration
	proxy   proxySettings
	scale   scaleSettings
	apply   applySettings
}

func (f *loadFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.mode, "mode", modeProxy, "what to measure: proxy (Turnpike vs nginx), scale (10,000 routes), apply (API server change to traffic), or all")
	fs.DurationVar(&f.timeout, "timeout", 5*time.Minute, "bound of each mode's run; every child is stopped when it passes")
	fs.DurationVar(&f.proxy.duration, "duration", 5*time.Second, "proxy mode: measured time of each series in each round (whole seconds)")
	fs.DurationVar(&f.proxy.warmup, "warmup", time.Second, "proxy mode: unmeasured load before each measurement (whole seconds; 0 for none)")
	fs.IntVar(&f.proxy.rounds, "rounds", 3, "proxy mode: rounds; the table shows medians across them")
	fs.IntVar(&f.proxy.connections, "connections", 32, "proxy mode: concurrent keep-alive connections of wrk")
	fs.IntVar(&f.proxy.routes, "routes", 1000, "proxy mode: routes of the many-routes scenario")
	fs.IntVar(&f.scale.routes, "scale-routes", 10000, "scale mode: HTTPRoutes to serve")
	fs.IntVar(&f.apply.routes, "apply-routes", 1000, "apply mode: HTTPRoutes in place before measuring")
	fs.IntVar(&f.apply.changes, "apply-changes", 100, "apply mode: new HTTPRoutes to time, one after the other")
}

func (f *loadFlags) validate() error {
	wholeSeconds := func(d time.Duration) bool { return d%time.Second == 0 }
	switch {
	case f.mode != modeProxy && f.mode != modeScale && f.mode != modeApply && f.mode != modeAll:
		return fmt.Errorf("-mode must be proxy, scale, apply or all, not %q", f.mode)
	case f.timeout <= 0:
		return fmt.Errorf("-timeout must be positive, not %s", f.timeout)
	case f.proxy.duration < time.Second || !wholeSeconds(f.proxy.duration):
		return fmt.Errorf("-duration must be a whole number of seconds (wrk's unit), at least 1s, not %s", f.proxy.duration)
	case f.proxy.warmup < 0 || !wholeSeconds(f.proxy.warmup):
		return fmt.Errorf("-warmup must be a whole, non-negative number of seconds, not %s", f.proxy.warmup)
	case f.proxy.rounds < 1:
		return fmt.Errorf("-rounds must be at least 1, not %d", f.proxy.rounds)
	case f.proxy.connections < 1:
		return fmt.Errorf("-connections must be at least 1, not %d", f.proxy.connections)
	case f.proxy.routes < 2:
		return fmt.Errorf("-routes must be at least 2, not %d", f.proxy.routes)
	case f.scale.routes < 1:
		return fmt.Errorf("-scale-routes must be at least 1, not %d", f.scale.routes)
	case f.apply.routes < 1 || f.apply.changes < 1:
		return fmt.Errorf("-apply-routes and -apply-changes must be at least 1, not %d and %d", f.apply.routes, f.apply.changes)
	}
	return nil
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == backendSubcommand {
		os.Exit(runBackend(os.Args[2:], os.Stderr))
	}
	os.Exit(runLoad(os.Args[1:], os.Stdout, os.Stderr))
}

// runLoad is the harness; it returns the process exit code: 0 when the run
// completed (whether or not the targets are met: the figures are the result), 1 on
// failed requests or a broken set-up, 2 on bad flags, 130 when interrupted. Every
// child is stopped before it returns.
func runLoad(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var settings loadFlags
	settings.register(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "load: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if err := settings.validate(); err != nil {
		fmt.Fprintln(stderr, "load:", err)
		return 2
	}
	interrupted, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	modes := []string{settings.mode}
	if settings.mode == modeAll {
		modes = []string{modeProxy, modeScale, modeApply}
	}
	for i, mode := range modes {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		if err := runMode(interrupted, mode, settings, stdout, stderr); err != nil {
			switch {
			case interrupted.Err() != nil:
				fmt.Fprintln(stderr, "load: interrupted; every child process has been stopped")
				return 130
			default:
				fmt.Fprintf(stderr, "load: %s mode: %v\n", mode, err)
				return 1
			}
		}
	}
	return 0
}

// runMode runs one mode within the -timeout bound, in its own temporary directory,
// and stops every child it started before returning.
func runMode(ctx context.Context, mode string, settings loadFlags, stdout, stderr io.Writer) error {
	ctx, cancel := context.WithTimeoutCause(ctx, settings.timeout, fmt.Errorf("the %s mode ran past -timeout %s", mode, settings.timeout))
	defer cancel()
	workDir, err := os.MkdirTemp("", "turnpike-load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(workDir)
	procs := &harness.Processes{}
	defer procs.StopAll() // runs before the directory holding the binaries goes
	var runErr error
	switch mode {
	case modeProxy:
		runErr = runProxyMode(ctx, procs, workDir, settings.proxy, stdout, stderr)
	case modeScale:
		runErr = runScaleMode(ctx, procs, workDir, settings.scale, stdout, stderr)
	case modeApply:
		runErr = runApplyMode(ctx, procs, workDir, settings.apply, stdout, stderr)
	}
	if runErr != nil && errors.Is(runErr, context.DeadlineExceeded) {
		return fmt.Errorf("%w (%w)", runErr, context.Cause(ctx))
	}
	return runErr
}
