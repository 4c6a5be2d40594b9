package main

import (
	"math"
	"math/bits"
	"time"
)

// The latency histogram is log-linear (the HdrHistogram layout): every power of two
// is split into histogramSubBuckets equal buckets, so a recorded value is off by at
// most 1/histogramSubBuckets (0.8%) of itself, whatever its magnitude, in a fixed
// array that recording never grows. Values below 2*histogramSubBuckets ns are exact.
const (
	histogramSubBucketBits = 7
	histogramSubBuckets    = 1 << histogramSubBucketBits
	// histogramMaxBits bounds the recorded range at 2^36 ns (about 68 s); longer
	// latencies land in the last bucket. The load generator's timeouts are far shorter.
	histogramMaxBits = 36
	histogramBuckets = (histogramMaxBits - histogramSubBucketBits + 1) * histogramSubBuckets
)

// histogram counts latencies. It is not safe for concurrent use: each load worker
// owns one and the results are merged after the round.
type histogram struct {
	counts [histogramBuckets]uint64
	total  uint64
	min    time.Duration
	max    time.Duration
}

// bucketIndex maps a value in nanoseconds to its bucket: for v < 256 the index is v
// itself; above, e is how far v must be shifted right to keep its top 8 bits, and
// the index is e*128 + (v >> e), which continues the sequence without gaps.
func bucketIndex(v uint64) int {
	shift := bits.Len64(v) - histogramSubBucketBits - 1
	if shift < 0 {
		shift = 0
	}
	index := shift*histogramSubBuckets + int(v>>uint(shift))
	if index >= histogramBuckets {
		return histogramBuckets - 1
	}
	return index
}

// bucketBounds is the inverse of bucketIndex: the smallest and largest value that
// land in bucket index.
func bucketBounds(index int) (lowest, highest uint64) {
	if index < 2*histogramSubBuckets {
		return uint64(index), uint64(index)
	}
	shift := uint(index/histogramSubBuckets - 1)
	mantissa := uint64(index%histogramSubBuckets + histogramSubBuckets)
	return mantissa << shift, (mantissa+1)<<shift - 1
}

// Record adds one latency. It does not allocate.
func (h *histogram) Record(latency time.Duration) {
	if latency < 0 {
		latency = 0
	}
	h.counts[bucketIndex(uint64(latency))]++
	if h.total == 0 || latency < h.min {
		h.min = latency
	}
	if latency > h.max {
		h.max = latency
	}
	h.total++
}

// Merge adds every value recorded in other.
func (h *histogram) Merge(other *histogram) {
	if other.total == 0 {
		return
	}
	for i, c := range other.counts {
		h.counts[i] += c
	}
	if h.total == 0 || other.min < h.min {
		h.min = other.min
	}
	if other.max > h.max {
		h.max = other.max
	}
	h.total += other.total
}

// Count is the number of recorded values.
func (h *histogram) Count() uint64 { return h.total }

// Quantile returns the value below or at which a fraction q (0..1) of the recorded
// values lie, taking the nearest-rank definition: the ceil(q*n)-th smallest value.
// The extremes are exact (the recorded min and max); any other answer is the middle
// of its bucket, clamped to them. Zero when nothing was recorded.
func (h *histogram) Quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	// The epsilon keeps float error (0.999*1000 = 999.0000000000001) from moving
	// the rank up by one.
	rank := uint64(math.Ceil(q*float64(h.total) - 1e-9))
	switch {
	case rank <= 1:
		return h.min
	case rank >= h.total:
		return h.max
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen < rank {
			continue
		}
		lowest, highest := bucketBounds(i)
		value := time.Duration(lowest + (highest-lowest)/2)
		return min(max(value, h.min), h.max)
	}
	return h.max // unreachable while counts add up to total
}
