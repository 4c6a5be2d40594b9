package ratelimit

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/turnpike-gateway/turnpike/dataplane/expr"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// Limit is one snapshot.RateLimit, ready to enforce: predicates and counters
// prepared, headers pre-rendered, counters attached.
type Limit struct {
	policy, name string
	counterKey   string
	when         []*expr.Predicate
	counters     []*expr.Value
	rates        []rateInfo
	// store holds the counters in local mode; nil with Redis.
	store *localStore
	// redisKey starts the Redis keys of the limit's counters.
	redisKey string
}

// rateInfo is one rate with its header items rendered once.
type rateInfo struct {
	spec rateSpec
	// window is the rate's window, for Redis (which counts microseconds).
	window time.Duration
	// policyItem is the RateLimit-Policy item: "<id>";q=<limit>;w=<seconds>.
	policyItem []byte
	// serviceItem starts the RateLimit item: "<id>";r=
	serviceItem []byte
}

// Name is "namespace/policy/limit", as in headers and logs.
func (l *Limit) Name() string { return l.policy + "/" + l.name }

func newLimit(spec *snapshot.RateLimit) (*Limit, error) {
	if spec == nil {
		return nil, errors.New("rate limit is nil")
	}
	l := &Limit{policy: spec.Policy, name: spec.Name, counterKey: spec.CounterKey}
	if l.counterKey == "" {
		l.counterKey = l.Name()
	}
	if len(spec.Rates) == 0 {
		return nil, fmt.Errorf("rate limit %s has no rates", l.Name())
	}
	for _, e := range spec.When {
		p, err := expr.NewPredicate(e)
		if err != nil {
			return nil, fmt.Errorf("rate limit %s: %w", l.Name(), err)
		}
		l.when = append(l.when, p)
	}
	for _, e := range spec.Counters {
		v, err := expr.NewValue(e)
		if err != nil {
			return nil, fmt.Errorf("rate limit %s: %w", l.Name(), err)
		}
		l.counters = append(l.counters, v)
	}
	ids := rateIDs(l.Name(), spec.Rates)
	for i, rate := range spec.Rates {
		if rate.Limit < 0 || rate.Window <= 0 {
			return nil, fmt.Errorf("rate limit %s: rate %d per %s is not a limit", l.Name(), rate.Limit, rate.Window)
		}
		info := rateInfo{spec: newRateSpec(rate.Limit, int64(rate.Window)), window: rate.Window}
		info.policyItem = appendSFString(nil, ids[i])
		info.policyItem = append(info.policyItem, ";q="...)
		info.policyItem = strconv.AppendInt(info.policyItem, rate.Limit, 10)
		info.policyItem = append(info.policyItem, ";w="...)
		info.policyItem = strconv.AppendInt(info.policyItem, ceilSeconds(int64(rate.Window)), 10)
		info.serviceItem = append(appendSFString(nil, ids[i]), ";r="...)
		l.rates = append(l.rates, info)
	}
	return l, nil
}

// rateIDs names each rate in the headers: the limit's name, with the window
// appended when the limit has several rates ("ns/api/per-user/1m").
func rateIDs(name string, rates []snapshot.Rate) []string {
	ids := make([]string, len(rates))
	seen := map[string]bool{}
	unique := true
	for i, rate := range rates {
		ids[i] = name
		if len(rates) > 1 {
			ids[i] = name + "/" + windowText(rate.Window)
		}
		unique = unique && !seen[ids[i]]
		seen[ids[i]] = true
	}
	if !unique {
		for i := range ids {
			ids[i] = name + "/" + strconv.Itoa(i)
		}
	}
	return ids
}

// windowText writes a window the way policies do: "1h", "10m", "30s", "500ms".
func windowText(d time.Duration) string {
	for _, unit := range []struct {
		d      time.Duration
		suffix string
	}{{time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}, {time.Millisecond, "ms"}} {
		if d%unit.d == 0 {
			return strconv.FormatInt(int64(d/unit.d), 10) + unit.suffix
		}
	}
	return d.String()
}

// appendSFString appends s as a Structured Field String (RFC 8941): quoted,
// with '"' and '\' escaped; characters a String cannot hold become '_'.
func appendSFString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20 || c > 0x7e:
			dst = append(dst, '_')
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// ceilSeconds rounds a duration in nanoseconds up to whole seconds, at least 1:
// headers speak in seconds, and rounding down would invite an early retry.
func ceilSeconds(ns int64) int64 {
	return max((ns+int64(time.Second)-1)/int64(time.Second), 1)
}

// applies reports whether every `when` predicate holds.
func (l *Limit) applies(a *expr.Activation) bool {
	for _, p := range l.when {
		if !p.Eval(a) {
			return false
		}
	}
	return true
}

// appendKey appends the counter values that select the request's counter, each
// followed by its length, so that ("ab","c") and ("a","bc") differ. A counter
// that fails to evaluate means the request is not counted against the limit.
func (l *Limit) appendKey(dst []byte, a *expr.Activation) ([]byte, bool) {
	for _, v := range l.counters {
		start := len(dst)
		var err error
		if dst, err = v.Append(dst, a); err != nil {
			return dst, false
		}
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(dst)-start))
	}
	return dst, true
}
