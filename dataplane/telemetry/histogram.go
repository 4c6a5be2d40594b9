package telemetry

import (
	"sync/atomic"
	"time"
)

// DurationBounds are the upper bounds, in seconds, of the buckets of every
// duration histogram: from 100µs, where the gateway's own share of a request
// lives, to 10s, past which a proxied request has usually failed anyway. Fixed,
// so that histograms of different routes and replicas can be summed.
var DurationBounds = [...]float64{
	0.0001, 0.00025, 0.0005,
	0.001, 0.0025, 0.005,
	0.01, 0.025, 0.05,
	0.1, 0.25, 0.5,
	1, 2.5, 5, 10,
}

// NumBuckets is how many finite buckets a histogram has (one more, +Inf, is
// implied).
const NumBuckets = len(DurationBounds)

// boundNanos are DurationBounds in nanoseconds, so that Observe compares integers.
var boundNanos = func() (b [NumBuckets]int64) {
	for i, s := range DurationBounds {
		b[i] = int64(s * float64(time.Second))
	}
	return b
}()

// Histogram counts durations into the DurationBounds buckets. Observe is safe for
// concurrent use and allocates nothing; it costs a few comparisons and two
// atomic additions.
type Histogram struct {
	// counts[i] counts observations in (bound[i-1], bound[i]]; the last one
	// those above every bound. Not cumulative: one addition per observation.
	counts   [NumBuckets + 1]atomic.Uint64
	sumNanos atomic.Uint64
}

// Observe records one duration; a negative one (a clock step) counts as zero.
func (h *Histogram) Observe(d time.Duration) {
	if d < 0 {
		d = 0
	}
	i := 0
	for i < NumBuckets && int64(d) > boundNanos[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sumNanos.Add(uint64(d))
}

// HistogramCounts is a histogram as read at one moment, in Prometheus' shape.
type HistogramCounts struct {
	// Cumulative[i] counts the observations at most DurationBounds[i] seconds.
	Cumulative [NumBuckets]uint64
	// Count counts every observation (the +Inf bucket).
	Count uint64
	// Sum is the total of the observations, in seconds.
	Sum float64
}

// Read returns the counts. They are read one by one while requests may add to
// them, so Sum may be a request ahead or behind the buckets; Count is derived
// from the buckets, so that the +Inf bucket always equals it.
func (h *Histogram) Read() HistogramCounts {
	var c HistogramCounts
	var total uint64
	for i := range NumBuckets {
		total += h.counts[i].Load()
		c.Cumulative[i] = total
	}
	c.Count = total + h.counts[NumBuckets].Load()
	c.Sum = float64(h.sumNanos.Load()) / float64(time.Second)
	return c
}
