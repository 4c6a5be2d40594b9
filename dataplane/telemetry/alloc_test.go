//go:build !race

// The race detector makes sync.Pool drop objects at random, so allocation counts
// are only meaningful without it.

package telemetry

import (
	"io"
	"net/netip"
	"runtime"
	"testing"
	"time"
)

// TestCountingDoesNotAllocate: what the request path does with metrics on.
// Not parallel: allocation counts are process-wide.
func TestCountingDoesNotAllocate(t *testing.T) {
	r := NewRegistry()
	b := r.NewBuilder()
	m := b.Route(shopKey)
	be := b.Backend(BackendKey{RouteKey: shopKey, Backend: "shop/cart:80"})
	b.Commit()
	count := func() {
		be.Requests.Add(Forwarded, MethodOf([]byte("GET")), ClassOf(200))
		be.ObserveUpstream(3 * time.Millisecond)
		m.Observe(4*time.Millisecond, time.Millisecond, 10, 100)
	}
	count() // the first request creates the cells and histograms it uses
	if allocs := testing.AllocsPerRun(1000, count); allocs != 0 {
		t.Errorf("counting a request allocates %.1f times, want 0", allocs)
	}
}

// TestLoggingDoesNotAllocate renders and queues lines to a writer that keeps
// up. AllocsPerRun runs on one processor, where the writer goroutine only runs
// when the test yields; without the wait below the queue would hold lines the
// pool never gets back, and each new one would cost two allocations (the Line
// and its buffer). That is also the cost of a line while the writer is behind.
func TestLoggingDoesNotAllocate(t *testing.T) {
	// A queue of two wakes the writer at every line (half full), rather than
	// on its tick: the wait below stays short.
	l := NewAccessLog(AccessLogOptions{Writer: io.Discard, QueueLength: 2, SampleRate: 0.5, Random: func() float64 { return 0.9 }})
	defer l.Close()
	if allocs := testing.AllocsPerRun(1000, func() {
		if l.Sample() {
			t.Fatal("sampled in")
		}
	}); allocs != 0 {
		t.Errorf("sampling a request out allocates %.1f times, want 0", allocs)
	}
	now := time.Now()
	client := netip.MustParseAddrPort("192.0.2.7:41000")
	path := []byte("/shop/items/42")
	write := func() {
		line := l.NewLine(now)
		line.String("route", "httproute/shop/store/rule/0/match/0")
		line.Bytes("path", path)
		line.Int("status", 200)
		line.Millis("duration_ms", 1500*time.Microsecond)
		line.AddrPort("client", client)
		l.Send(line)
		for len(l.queue) > 0 {
			runtime.Gosched()
		}
	}
	for range 100 {
		write()
	}
	if allocs := testing.AllocsPerRun(1000, write); allocs != 0 {
		t.Errorf("writing a line allocates %.2f times, want 0", allocs)
	}
}
