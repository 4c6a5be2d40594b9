package ratelimit

import (
	"fmt"
	"time"
)

// Options configure where counters live.
type Options struct {
	// MaxCountersPerLimit bounds the counters (distinct counter values) one limit
	// keeps in process memory; past it the least recently used is forgotten.
	// Unused with Redis.
	MaxCountersPerLimit int
	// Redis, when its Address is set, shares the counters of every replica
	// through one Redis server instead of process memory.
	Redis RedisOptions
}

// RedisOptions configure global mode.
type RedisOptions struct {
	// Address is "host:port" of the Redis server; empty means local mode.
	Address string
	// FailureMode says what happens to a request whose limits cannot be checked
	// because Redis is unreachable.
	FailureMode FailureMode
	// Timeout bounds connecting to Redis and each check.
	Timeout time.Duration
	// RetryInterval is how long after a failure requests skip Redis (and follow
	// FailureMode) before the next attempt, so that an outage costs requests no
	// latency.
	RetryInterval time.Duration
	// KeyPrefix starts every key Turnpike writes.
	KeyPrefix string
}

// FailureMode is what a request gets when its limits cannot be checked.
type FailureMode string

const (
	// FailOpen admits the request, unlimited, while Redis is unreachable.
	FailOpen FailureMode = "open"
	// FailClosed answers 503 (problem rate-limit-unavailable) while Redis is
	// unreachable: the client is not known to be over its limit, so not 429.
	FailClosed FailureMode = "closed"
)

// ParseFailureMode accepts "open" and "closed".
func ParseFailureMode(s string) (FailureMode, error) {
	switch m := FailureMode(s); m {
	case FailOpen, FailClosed:
		return m, nil
	}
	return "", fmt.Errorf("rate-limit failure mode must be %q or %q, not %q", FailOpen, FailClosed, s)
}

// Defaults for Options.
const (
	DefaultMaxCountersPerLimit = 65536
	DefaultRedisTimeout        = 100 * time.Millisecond
	DefaultRedisRetryInterval  = time.Second
	DefaultRedisKeyPrefix      = "turnpike:rl:"
)

// WithDefaults returns o with every zero field set to its default.
func (o Options) WithDefaults() Options {
	if o.MaxCountersPerLimit <= 0 {
		o.MaxCountersPerLimit = DefaultMaxCountersPerLimit
	}
	if o.Redis.FailureMode == "" {
		o.Redis.FailureMode = FailOpen
	}
	if o.Redis.Timeout <= 0 {
		o.Redis.Timeout = DefaultRedisTimeout
	}
	if o.Redis.RetryInterval <= 0 {
		o.Redis.RetryInterval = DefaultRedisRetryInterval
	}
	if o.Redis.KeyPrefix == "" {
		o.Redis.KeyPrefix = DefaultRedisKeyPrefix
	}
	return o
}
