package main

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/turnpike-gateway/turnpike/test/internal/harness"
)

// wrkResult is what one wrk run printed (with --latency).
type wrkResult struct {
	requests uint64
	elapsed  time.Duration
	// requestsPerSecond counts every completed request, whatever its status; a run
	// with non-2xx responses or socket errors is reported as failed instead.
	requestsPerSecond float64
	// Latency percentiles from wrk's "Latency Distribution".
	p50, p75, p90, p99 time.Duration
	non2xx             uint64
	socketErrors       uint64
}

// failed reports whether any request did not end in a 2xx or 3xx response.
func (r *wrkResult) failed() bool { return r.non2xx > 0 || r.socketErrors > 0 }

// parseWrkOutput reads the summary wrk 4 prints with --latency:
//
//	  Latency Distribution
//	     50%  152.00us
//	     ...
//	  79336 requests in 2.00s, 11.35MB read
//	  Non-2xx or 3xx responses: 12
//	  Socket errors: connect 0, read 0, write 0, timeout 0
//	Requests/sec:  39654.95
//
// The last two summary lines appear only when there were such failures.
func parseWrkOutput(output string) (wrkResult, error) {
	var result wrkResult
	found := map[string]bool{}
	scanner := bufio.NewScanner(strings.NewReader(output))
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		var err error
		switch {
		case len(fields) == 2 && strings.HasSuffix(fields[0], "%"):
			var into *time.Duration
			switch fields[0] {
			case "50%":
				into = &result.p50
			case "75%":
				into = &result.p75
			case "90%":
				into = &result.p90
			case "99%":
				into = &result.p99
			default:
				continue
			}
			*into, err = parseWrkDuration(fields[1])
			found[fields[0]] = true
		case len(fields) >= 4 && fields[1] == "requests" && fields[2] == "in":
			if result.requests, err = strconv.ParseUint(fields[0], 10, 64); err == nil {
				result.elapsed, err = parseWrkDuration(strings.TrimSuffix(fields[3], ","))
			}
			found["requests"] = true
		case len(fields) == 2 && fields[0] == "Requests/sec:":
			result.requestsPerSecond, err = strconv.ParseFloat(fields[1], 64)
			found["Requests/sec"] = true
		case strings.HasPrefix(scanner.Text(), "  Non-2xx or 3xx responses:"):
			result.non2xx, err = strconv.ParseUint(fields[len(fields)-1], 10, 64)
		case len(fields) > 0 && fields[0] == "Socket" && strings.HasPrefix(scanner.Text(), "  Socket errors:"):
			result.socketErrors, err = sumSocketErrors(fields[2:])
		}
		if err != nil {
			return wrkResult{}, fmt.Errorf("wrk output line %q: %w", scanner.Text(), err)
		}
	}
	for _, want := range []string{"50%", "75%", "90%", "99%", "requests", "Requests/sec"} {
		if !found[want] {
			return wrkResult{}, fmt.Errorf("wrk output has no %q figure (was --latency given?):\n%s", want, output)
		}
	}
	return result, nil
}

// sumSocketErrors adds up "connect 0, read 0, write 0, timeout 0".
func sumSocketErrors(fields []string) (uint64, error) {
	if len(fields)%2 != 0 {
		return 0, fmt.Errorf("socket errors %q are not name-count pairs", fields)
	}
	var total uint64
	for i := 1; i < len(fields); i += 2 {
		count, err := strconv.ParseUint(strings.TrimSuffix(fields[i], ","), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("socket error count %q: %w", fields[i], err)
		}
		total += count
	}
	return total, nil
}

// wrkUnits are the units of wrk's format_time, smallest first.
var wrkUnits = []struct {
	suffix string
	unit   time.Duration
}{{"us", time.Microsecond}, {"ms", time.Millisecond}, {"s", time.Second}, {"m", time.Minute}, {"h", time.Hour}}

// parseWrkDuration reads a wrk time such as "152.00us", "3.72ms" or "5.00s".
func parseWrkDuration(text string) (time.Duration, error) {
	for _, unit := range wrkUnits {
		number, ok := strings.CutSuffix(text, unit.suffix)
		if !ok {
			continue
		}
		value, err := strconv.ParseFloat(number, 64)
		if err != nil || value < 0 {
			break // "152ns" ends in "s" too
		}
		return time.Duration(value * float64(unit.unit)), nil
	}
	return 0, fmt.Errorf("wrk time %q is not a non-negative number of us, ms, s, m or h", text)
}

// wrkRun is one invocation of wrk against one target.
type wrkRun struct {
	cpu         string // the CPU list for taskset; empty runs unpinned
	connections int
	duration    time.Duration
	timeout     time.Duration
	host        string // the Host header; empty sends the URL's
	headers     []header
	url         string
}

// args is the command line: taskset (when pinned) then wrk with one thread, since
// the generator has one core at most in the layout.
func (r wrkRun) args() []string {
	args := []string{"wrk", "--threads", "1", "--connections", strconv.Itoa(r.connections),
		"--duration", strconv.Itoa(int(r.duration/time.Second)) + "s",
		"--timeout", strconv.Itoa(int(r.timeout/time.Second)) + "s", "--latency"}
	if r.host != "" {
		args = append(args, "--header", "Host: "+r.host)
	}
	for _, h := range r.headers {
		args = append(args, "--header", h.String())
	}
	args = append(args, r.url)
	if r.cpu != "" {
		args = append([]string{"taskset", "--cpu-list", r.cpu}, args...)
	}
	return args
}

// run starts wrk as a child (so that it is stopped with the harness) and parses
// what it printed.
func (r wrkRun) run(ctx context.Context, procs *harness.Processes) (wrkResult, error) {
	args := r.args()
	child, err := procs.StartCommand("wrk", exec.Command(args[0], args[1:]...))
	if err != nil {
		return wrkResult{}, err
	}
	deadline := time.NewTimer(r.duration + r.timeout + 30*time.Second)
	defer deadline.Stop()
	select {
	case <-child.Exited:
	case <-ctx.Done():
		procs.Stop(child)
		return wrkResult{}, ctx.Err()
	case <-deadline.C:
		procs.Stop(child)
		return wrkResult{}, fmt.Errorf("wrk did not finish a %s run in time; its output:\n%s", r.duration, child.Output.String())
	}
	procs.Stop(child) // forget it; it has exited
	if child.WaitErr != nil {
		return wrkResult{}, fmt.Errorf("%s: %w\n%s", strings.Join(r.redacted(args), " "), child.WaitErr, child.Output.String())
	}
	return parseWrkOutput(child.Output.String())
}

// redacted is args with the values of the run's headers (credentials) left out,
// for messages.
func (r wrkRun) redacted(args []string) []string {
	out := slices.Clone(args)
	for i, arg := range out {
		for _, h := range r.headers {
			if arg == h.String() {
				out[i] = h.name + ": (redacted)"
			}
		}
	}
	return out
}
