package main

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// quickLoad keeps rounds short: these tests check counting, not speed.
var quickLoad = loadSettings{connections: 4, warmup: 50 * time.Millisecond, duration: 200 * time.Millisecond, requestTimeout: 5 * time.Second}

// serveOnLoopback serves handler on a free 127.0.0.1 port until the test ends.
func serveOnLoopback(t *testing.T, handler fasthttp.RequestHandler) string {
	t.Helper()
	listener, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	server := &fasthttp.Server{Handler: handler}
	go server.Serve(listener) //nolint:errcheck // ends with Shutdown below
	t.Cleanup(func() { server.Shutdown() })
	return listener.Addr().String()
}

func TestRunLoadCountsResponsesFromTheBackend(t *testing.T) {
	t.Parallel()
	// Two listeners, as the direct scenario uses: both must receive load.
	var first, second atomic.Int64
	address1 := serveOnLoopback(t, func(ctx *fasthttp.RequestCtx) { first.Add(1); backendHandler(ctx) })
	address2 := serveOnLoopback(t, func(ctx *fasthttp.RequestCtx) { second.Add(1); backendHandler(ctx) })
	result, err := runLoad(context.Background(), loadTarget{addresses: []string{address1, address2}, path: "/"}, quickLoad, []int{os.Getpid()})
	if err != nil {
		t.Fatalf("runLoad: %v", err)
	}
	if result.failures() != 0 {
		t.Errorf("failures = %d (%v, %v), want 0", result.failures(), result.statuses, result.errorSamples)
	}
	if result.ok == 0 || result.latency.Count() != result.ok {
		t.Errorf("ok = %d, latency samples = %d; want as many samples as 200 responses, at least one", result.ok, result.latency.Count())
	}
	if result.requestsPerSecond() <= 0 {
		t.Errorf("requestsPerSecond = %v, want positive", result.requestsPerSecond())
	}
	if result.elapsed < quickLoad.duration {
		t.Errorf("elapsed = %v, shorter than the %v asked for", result.elapsed, quickLoad.duration)
	}
	if len(result.cpu) != 1 || result.cpu[0] < 0 {
		t.Errorf("cpu = %v, want one non-negative sample", result.cpu)
	}
	if first.Load() == 0 || second.Load() == 0 {
		t.Errorf("requests per listener = %d and %d, want both used", first.Load(), second.Load())
	}
}

func TestRunLoadCountsNon200Responses(t *testing.T) {
	t.Parallel()
	address := serveOnLoopback(t, func(ctx *fasthttp.RequestCtx) { ctx.SetStatusCode(fasthttp.StatusServiceUnavailable) })
	result, err := runLoad(context.Background(), loadTarget{addresses: []string{address}, path: "/"}, quickLoad, nil)
	if err != nil {
		t.Fatalf("runLoad: %v", err)
	}
	if result.ok != 0 || result.requestsPerSecond() != 0 {
		t.Errorf("ok = %d, requestsPerSecond = %v; a 503 must count as neither", result.ok, result.requestsPerSecond())
	}
	if result.statuses[fasthttp.StatusServiceUnavailable] == 0 || result.failures() != result.statuses[fasthttp.StatusServiceUnavailable] {
		t.Errorf("statuses = %v, failures = %d; want only 503s", result.statuses, result.failures())
	}
	if result.latency.Count() == 0 {
		t.Error("no latency recorded for answered requests")
	}
	if report := failureReport([]roundPair{{direct: result, turnpike: result}}); !strings.Contains(report, "HTTP 503") {
		t.Errorf("failure report %q does not mention HTTP 503", report)
	}
}

func TestRunLoadCountsRequestsWithoutResponse(t *testing.T) {
	t.Parallel()
	// A port nothing listens on: take a free one and close it again.
	listener, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	address := listener.Addr().String()
	listener.Close()
	result, err := runLoad(context.Background(), loadTarget{addresses: []string{address}, path: "/"}, quickLoad, nil)
	if err != nil {
		t.Fatalf("runLoad: %v", err)
	}
	if result.errors == 0 || result.ok != 0 {
		t.Fatalf("errors = %d, ok = %d; want only errors", result.errors, result.ok)
	}
	if len(result.errorSamples) == 0 || len(result.errorSamples) > maxErrorSamples {
		t.Errorf("error samples = %v, want between 1 and %d", result.errorSamples, maxErrorSamples)
	}
	var sampled uint64
	for _, count := range result.errorSamples {
		sampled += count
	}
	if sampled > result.errors {
		t.Errorf("samples count %d errors, more than the %d counted", sampled, result.errors)
	}
}

func TestRunLoadStopsWhenCancelled(t *testing.T) {
	t.Parallel()
	address := serveOnLoopback(t, backendHandler)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	long := quickLoad
	long.warmup, long.duration = time.Hour, time.Hour
	done := make(chan error, 1)
	go func() {
		_, err := runLoad(ctx, loadTarget{addresses: []string{address}, path: "/"}, long, nil)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("runLoad error = %v, want context.Canceled", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("runLoad did not return after its context was cancelled")
	}
}
