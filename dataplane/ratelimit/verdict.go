package ratelimit

import (
	"strconv"
	"time"
)

// Outcome is what the limits decided for a request.
type Outcome uint8

const (
	// Admitted: under every limit that applies (or none applies).
	Admitted Outcome = iota
	// Limited: over at least one limit; answer 429.
	Limited
	// Unavailable: the shared counters could not be reached and the failure
	// mode is closed; answer 503.
	Unavailable
)

func (o Outcome) String() string {
	switch o {
	case Admitted:
		return "Admitted"
	case Limited:
		return "Limited"
	case Unavailable:
		return "Unavailable"
	}
	return "Outcome(" + strconv.Itoa(int(o)) + ")"
}

// usage is where one rate stood for the request, after it was decided.
type usage struct {
	rate      *rateInfo
	remaining int64
	// wait is how long until the rate has more room (in clock units, ns).
	wait int64
}

// hit is one limit that applies to the request, with its counter.
type hit struct {
	limit *Limit
	// keyStart and keyEnd delimit the counter values in Verdict.keys.
	keyStart, keyEnd int
	key              counterKey
	// usageStart indexes the hit's first rate in Verdict.usage (and tokens).
	usageStart int
}

// Verdict is the decision for one request, and the scratch space that produces
// it. It is meant to be reused from request to request (kept in the caller's
// pooled per-request state), so that checking allocates nothing.
type Verdict struct {
	// Outcome is the decision.
	Outcome Outcome
	// RetryAfter is set when the request is refused: the time until it would be
	// admitted (Limited), or until the counters are tried again (Unavailable).
	RetryAfter time.Duration

	// decidedAt is the clock reading of the last decision in local mode, which
	// lets tests check admissions against every window.
	decidedAt int64

	hits   []hit
	keys   []byte
	usage  []usage
	tokens []uint64
}

// reset empties the verdict for the next request.
func (v *Verdict) reset() {
	v.Outcome, v.RetryAfter = Admitted, 0
	v.hits, v.keys, v.usage, v.tokens = v.hits[:0], v.keys[:0], v.usage[:0], v.tokens[:0]
}

// HasHeaders reports whether rate-limit headers describe the request: some
// limit applied and its counters were reached.
func (v *Verdict) HasHeaders() bool { return len(v.usage) > 0 }

// AppendPolicy appends the RateLimit-Policy field value (draft-ietf-httpapi-
// ratelimit-headers): one item per rate of every limit that applied, e.g.
// `"ns/api/per-user";q=100;w=60`.
func (v *Verdict) AppendPolicy(dst []byte) []byte {
	for i := range v.usage {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		dst = append(dst, v.usage[i].rate.policyItem...)
	}
	return dst
}

// AppendRateLimit appends the RateLimit field value: per rate, the requests
// left (r) and the seconds until that number grows (t), e.g.
// `"ns/api/per-user";r=42;t=7`.
func (v *Verdict) AppendRateLimit(dst []byte) []byte {
	for i := range v.usage {
		u := &v.usage[i]
		if i > 0 {
			dst = append(dst, ", "...)
		}
		dst = append(dst, u.rate.serviceItem...)
		dst = strconv.AppendInt(dst, u.remaining, 10)
		dst = append(dst, ";t="...)
		dst = strconv.AppendInt(dst, ceilSeconds(u.wait), 10)
	}
	return dst
}

// RetryAfterSeconds is RetryAfter in whole seconds, rounded up, at least 1.
func (v *Verdict) RetryAfterSeconds() int64 { return ceilSeconds(int64(v.RetryAfter)) }

// growUsage extends usage and tokens by n and returns the new elements.
func (v *Verdict) growUsage(n int) ([]usage, []uint64) {
	start := len(v.usage)
	for range n {
		v.usage = append(v.usage, usage{})
		v.tokens = append(v.tokens, 0)
	}
	return v.usage[start:], v.tokens[start:]
}
