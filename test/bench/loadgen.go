package main

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/turnpike-gateway/turnpike/test/internal/harness"
)

// loadSettings shape one round of load.
type loadSettings struct {
	// connections is the number of workers, each with its own keep-alive connection
	// and one request in flight at a time (a closed loop: the next request leaves when
	// the previous answer is in).
	connections int
	warmup      time.Duration
	duration    time.Duration
	// requestTimeout bounds one request so that a stuck peer fails the round instead
	// of hanging it.
	requestTimeout time.Duration
}

// loadTarget is where a round sends its requests.
type loadTarget struct {
	// addresses are host:port pairs the workers' connections go to in turn.
	addresses []string
	path      string
}

// maxErrorSamples bounds how many distinct error messages a worker keeps.
const maxErrorSamples = 8

// Worker phases: requests are timed and counted only while measuring.
const (
	phaseWarmup int32 = iota
	phaseMeasure
	phaseStop
)

// roundResult is what one round of one scenario measured.
type roundResult struct {
	// latency holds every response received in the measured window, whatever its status.
	latency histogram
	// ok counts the 200 responses in the measured window.
	ok uint64
	// statuses counts other status codes, warm-up included.
	statuses map[int]uint64
	// errors counts requests that got no response at all, warm-up included, and
	// errorSamples keeps a few of their messages with a count each.
	errors       uint64
	errorSamples map[string]uint64
	elapsed      time.Duration
	// cpu is the CPU time each sampled process used during the measured window, in
	// the order of the pids given to runLoad.
	cpu []time.Duration
}

// requestsPerSecond counts only 200 responses: failures must not raise the figure.
func (r *roundResult) requestsPerSecond() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.ok) / r.elapsed.Seconds()
}

// failures is the number of requests that did not end in a 200.
func (r *roundResult) failures() uint64 {
	total := r.errors
	for _, count := range r.statuses {
		total += count
	}
	return total
}

// loadWorker is the state one worker goroutine owns; nothing in it is shared until
// the round is over.
type loadWorker struct {
	latency      histogram
	ok           uint64
	statuses     map[int]uint64
	errors       uint64
	errorSamples map[string]uint64
}

// run sends requests until phase says stop. The loop reuses one request and one
// response and records into a fixed histogram, so it does not allocate in steady
// state; only failures (counted in maps, with their messages) do.
func (w *loadWorker) run(client *fasthttp.HostClient, uri string, phase *atomic.Int32) {
	request := fasthttp.AcquireRequest()
	response := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(request)
	defer fasthttp.ReleaseResponse(response)
	request.SetRequestURI(uri)
	for {
		current := phase.Load()
		if current == phaseStop {
			return
		}
		start := time.Now()
		err := client.Do(request, response)
		latency := time.Since(start)
		if err != nil {
			w.recordError(err)
			// A refused connection fails in microseconds; pausing keeps a broken
			// round from spinning the shared CPUs while it runs out.
			time.Sleep(time.Millisecond)
			continue
		}
		status := response.StatusCode()
		if status != fasthttp.StatusOK {
			w.statuses[status]++
		}
		if current != phaseMeasure {
			continue
		}
		w.latency.Record(latency)
		if status == fasthttp.StatusOK {
			w.ok++
		}
	}
}

func (w *loadWorker) recordError(err error) {
	w.errors++
	message := err.Error()
	if _, known := w.errorSamples[message]; known || len(w.errorSamples) < maxErrorSamples {
		w.errorSamples[message]++
	}
}

// runLoad sends closed-loop load to target for settings.warmup, then measures for
// settings.duration, sampling the CPU time of pids at both ends of the measured
// window. It returns early with ctx's error when ctx is done.
func runLoad(ctx context.Context, target loadTarget, settings loadSettings, pids []int) (*roundResult, error) {
	client := &fasthttp.HostClient{
		Addr:                      strings.Join(target.addresses, ","),
		Name:                      "turnpike-bench",
		MaxConns:                  settings.connections,
		MaxConnWaitTimeout:        settings.requestTimeout,
		ReadTimeout:               settings.requestTimeout,
		WriteTimeout:              settings.requestTimeout,
		MaxIdemponentCallAttempts: 1, // a retried failure would hide from the counts
	}
	defer client.CloseIdleConnections()
	uri := "http://" + target.addresses[0] + target.path

	var phase atomic.Int32
	workers := make([]*loadWorker, settings.connections)
	var running sync.WaitGroup
	for i := range workers {
		workers[i] = &loadWorker{statuses: map[int]uint64{}, errorSamples: map[string]uint64{}}
		running.Go(func() { workers[i].run(client, uri, &phase) })
	}
	stop := func() {
		phase.Store(phaseStop)
		running.Wait()
	}

	if err := harness.Sleep(ctx, settings.warmup); err != nil {
		stop()
		return nil, err
	}
	before, err := harness.SampleCPU(pids)
	if err != nil {
		stop()
		return nil, err
	}
	measureStart := time.Now()
	phase.Store(phaseMeasure)
	waitErr := harness.Sleep(ctx, settings.duration)
	phase.Store(phaseStop)
	elapsed := time.Since(measureStart)
	after, sampleErr := harness.SampleCPU(pids)
	stop()
	if waitErr != nil {
		return nil, waitErr
	}
	if sampleErr != nil {
		return nil, sampleErr
	}

	result := &roundResult{statuses: map[int]uint64{}, errorSamples: map[string]uint64{}, elapsed: elapsed}
	for _, w := range workers {
		result.latency.Merge(&w.latency)
		result.ok += w.ok
		result.errors += w.errors
		for status, count := range w.statuses {
			result.statuses[status] += count
		}
		for message, count := range w.errorSamples {
			result.errorSamples[message] += count
		}
	}
	for i := range pids {
		result.cpu = append(result.cpu, after[i]-before[i])
	}
	return result, nil
}
