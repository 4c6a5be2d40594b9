package telemetry

import (
	"math"
	"sync"
	"testing"
	"time"
)

func TestHistogramBuckets(t *testing.T) {
	t.Parallel()
	var h Histogram
	// Prometheus buckets are "less than or equal": a bound lands in its own bucket.
	observations := []time.Duration{
		-time.Millisecond,      // a clock step: counts as 0
		50 * time.Microsecond,  // le 0.0001
		100 * time.Microsecond, // le 0.0001, exactly on the bound
		101 * time.Microsecond, // le 0.00025
		time.Millisecond,       // le 0.001
		30 * time.Millisecond,  // le 0.05
		10 * time.Second,       // le 10
		time.Minute,            // +Inf only
	}
	for _, d := range observations {
		h.Observe(d)
	}
	got := h.Read()
	want := map[float64]uint64{0.0001: 3, 0.00025: 4, 0.0005: 4, 0.001: 5, 0.025: 5, 0.05: 6, 5: 6, 10: 7}
	for i, bound := range DurationBounds {
		if n, ok := want[bound]; ok && got.Cumulative[i] != n {
			t.Errorf("bucket le=%g holds %d, want %d", bound, got.Cumulative[i], n)
		}
		if i > 0 && got.Cumulative[i] < got.Cumulative[i-1] {
			t.Errorf("buckets are not cumulative at le=%g", bound)
		}
	}
	if got.Count != 8 {
		t.Errorf("count %d, want 8", got.Count)
	}
	wantSum := (50*time.Microsecond + 100*time.Microsecond + 101*time.Microsecond + time.Millisecond +
		30*time.Millisecond + 10*time.Second + time.Minute).Seconds()
	if math.Abs(got.Sum-wantSum) > 1e-9 {
		t.Errorf("sum %v s, want %v s", got.Sum, wantSum)
	}
}

func TestDurationBoundsAscend(t *testing.T) {
	t.Parallel()
	for i := 1; i < NumBuckets; i++ {
		if DurationBounds[i] <= DurationBounds[i-1] || boundNanos[i] <= boundNanos[i-1] {
			t.Errorf("bound %d (%g) does not exceed the previous one", i, DurationBounds[i])
		}
	}
}

// TestHistogramConcurrentObserve runs under -race in CI: observers never lock.
func TestHistogramConcurrentObserve(t *testing.T) {
	t.Parallel()
	var h Histogram
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				h.Observe(time.Duration(g*1000+i) * time.Microsecond)
			}
		})
	}
	wg.Wait()
	if got := h.Read().Count; got != 8000 {
		t.Errorf("count %d, want 8000", got)
	}
}
