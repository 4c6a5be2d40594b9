package main

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestBucketBoundsInvertBucketIndex(t *testing.T) {
	t.Parallel()
	values := []uint64{0, 1, 127, 128, 255, 256, 257, 511, 512, 1000, 4095, 4096, 123456789, 1 << 35, 1<<36 - 1}
	random := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		values = append(values, random.Uint64N(1<<36))
	}
	for _, v := range values {
		index := bucketIndex(v)
		lowest, highest := bucketBounds(index)
		if v < lowest || v > highest {
			t.Fatalf("value %d: bucket %d spans [%d, %d], which does not hold it", v, index, lowest, highest)
		}
		if bucketIndex(lowest) != index || bucketIndex(highest) != index {
			t.Fatalf("value %d: bucket %d bounds [%d, %d] map to buckets %d and %d", v, index, lowest, highest, bucketIndex(lowest), bucketIndex(highest))
		}
		// The promise of the layout: a bucket is at most 1/128 of its values wide.
		if width := highest - lowest; width*histogramSubBuckets > lowest {
			t.Fatalf("value %d: bucket %d is %d wide at %d, more than 1/%d", v, index, width, lowest, histogramSubBuckets)
		}
	}
}

func TestBucketIndexIsContiguousAndMonotonic(t *testing.T) {
	t.Parallel()
	previous := 0
	for v := uint64(1); v < 1<<20; v++ {
		index := bucketIndex(v)
		if index != previous && index != previous+1 {
			t.Fatalf("value %d jumps from bucket %d to %d", v, previous, index)
		}
		previous = index
	}
}

func TestBucketIndexClampsBeyondTheRange(t *testing.T) {
	t.Parallel()
	for _, v := range []uint64{1 << 36, 1 << 40, 1<<64 - 1} {
		if got := bucketIndex(v); got != histogramBuckets-1 {
			t.Errorf("bucketIndex(%d) = %d, want the last bucket %d", v, got, histogramBuckets-1)
		}
	}
}

func TestHistogramQuantile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		values []time.Duration
		q      float64
		want   time.Duration
		// tolerance is the allowed relative error: zero where buckets are exact.
		tolerance float64
	}{
		{name: "empty", q: 0.5, want: 0},
		{name: "single value", values: []time.Duration{42 * time.Millisecond}, q: 0.99, want: 42 * time.Millisecond},
		{name: "small values are exact, p50", values: durations(1, 100, 1), q: 0.50, want: 50},
		{name: "small values are exact, p99", values: durations(1, 100, 1), q: 0.99, want: 99},
		{name: "q 0 is the minimum", values: durations(1000, 5000, 7), q: 0, want: 1000},
		{name: "q 1 is the maximum", values: durations(1000, 5000, 7), q: 1, want: 4997},
		{name: "microseconds, p50", values: durations(1000, 1000000, 1000), q: 0.50, want: 500 * time.Microsecond, tolerance: 1.0 / 128},
		{name: "microseconds, p99", values: durations(1000, 1000000, 1000), q: 0.99, want: 990 * time.Microsecond, tolerance: 1.0 / 128},
		{name: "microseconds, p99.9", values: durations(1000, 1000000, 1000), q: 0.999, want: 999 * time.Microsecond, tolerance: 1.0 / 128},
		{name: "one slow request in 1,000 stays above p99.9", values: append(repeat(999, 100*time.Microsecond), 50*time.Millisecond), q: 0.999, want: 100 * time.Microsecond, tolerance: 1.0 / 128},
		{name: "two slow requests in 1,000 reach p99.9", values: append(repeat(998, 100*time.Microsecond), 50*time.Millisecond, 50*time.Millisecond), q: 0.999, want: 50 * time.Millisecond, tolerance: 1.0 / 128},
		{name: "beyond the range, the maximum stays exact", values: []time.Duration{time.Microsecond, 2 * time.Minute}, q: 1, want: 2 * time.Minute},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			var h histogram
			for _, v := range test.values {
				h.Record(v)
			}
			got := h.Quantile(test.q)
			if diff := got - test.want; float64(max(diff, -diff)) > test.tolerance*float64(test.want) {
				t.Errorf("Quantile(%v) = %v, want %v (relative tolerance %.4f)", test.q, got, test.want, test.tolerance)
			}
		})
	}
}

func TestHistogramMergeEqualsRecordingEverything(t *testing.T) {
	t.Parallel()
	random := rand.New(rand.NewPCG(3, 4))
	var all, first, second histogram
	for i := range 5000 {
		v := time.Duration(random.Int64N(int64(20 * time.Millisecond)))
		all.Record(v)
		if i%3 == 0 {
			first.Record(v)
		} else {
			second.Record(v)
		}
	}
	var merged histogram
	merged.Merge(&histogram{}) // merging nothing must not disturb min
	merged.Merge(&first)
	merged.Merge(&second)
	if diff := cmp.Diff(all, merged, cmp.AllowUnexported(histogram{})); diff != "" {
		t.Errorf("merged histogram differs from one that recorded everything (-all +merged):\n%s", diff)
	}
	if all.Count() != 5000 {
		t.Errorf("Count() = %d, want 5000", all.Count())
	}
}

func TestHistogramRecordDoesNotAllocate(t *testing.T) {
	var h histogram
	latency := time.Duration(1)
	allocs := testing.AllocsPerRun(1000, func() {
		latency = latency*7 + 13
		h.Record(latency % time.Second)
	})
	if allocs != 0 {
		t.Errorf("Record allocates %.1f times per call, want 0", allocs)
	}
}

// durations returns from, from+step, ... up to and including to, in nanoseconds.
func durations(from, to, step int64) []time.Duration {
	var out []time.Duration
	for v := from; v <= to; v += step {
		out = append(out, time.Duration(v))
	}
	return out
}

// repeat returns value n times.
func repeat(n int, value time.Duration) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = value
	}
	return out
}
