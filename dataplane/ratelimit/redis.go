package ratelimit

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

//go:embed sliding_window.lua
var slidingWindowLua string

// slidingWindow is loaded once per Redis server (EVALSHA, falling back to EVAL
// when the server does not know it, after a restart for instance).
var slidingWindow = redis.NewScript(slidingWindowLua)

// redisBackend keeps counters in Redis, shared by every replica. One request
// costs one round trip: every rate of every limit that applies goes into one
// script call, which checks them all and records them only if all have room.
type redisBackend struct {
	client *redis.Client
	opts   RedisOptions
	log    logr.Logger

	// downUntil (Unix nanoseconds) is set after a failure: until then requests
	// follow the failure mode without trying Redis, so an outage adds no
	// latency; the first request after it tries again, which is how the
	// backend recovers by itself.
	downUntil atomic.Int64
	failing   atomic.Bool
	// lastReport rate-limits the log lines of a long outage.
	lastReport atomic.Int64

	errors, fallbacks atomic.Uint64

	// clock, when set, replaces Redis's clock (microseconds); tests only.
	clock func() int64
}

// outageReportInterval is how often a continuing outage is logged again.
const outageReportInterval = time.Minute

func newRedisBackend(opts RedisOptions, log logr.Logger) *redisBackend {
	redisLogger.Do(func() { redis.SetLogger(redisLog{log: log.WithName("redis")}) })
	client := redis.NewClient(&redis.Options{
		Addr:         opts.Address,
		DialTimeout:  opts.Timeout,
		ReadTimeout:  opts.Timeout,
		WriteTimeout: opts.Timeout,
		PoolTimeout:  opts.Timeout,
		// A retry would double the latency of every request during an outage;
		// the failure mode and the retry interval handle failures instead.
		MaxRetries:               -1,
		DialerRetries:            1,
		Protocol:                 2,
		DisableIdentity:          true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
	return &redisBackend{client: client, opts: opts, log: log.WithValues("redis", opts.Address)}
}

func (b *redisBackend) close() error { return b.client.Close() }

// redisLogger sends the Redis client's own messages (dial failures, which the
// backend already reports once per outage) to the debug log instead of
// stderr. The client's logger is process-wide, so the first registry sets it.
var redisLogger sync.Once

type redisLog struct{ log logr.Logger }

func (l redisLog) Printf(_ context.Context, format string, args ...any) {
	if debug := l.log.V(1); debug.Enabled() {
		debug.Info("Message from the Redis client", "message", fmt.Sprintf(format, args...))
	}
}

// take decides the hits of v in one script call.
func (b *redisBackend) take(v *Verdict) {
	now := time.Now().UnixNano()
	if now < b.downUntil.Load() {
		b.fallback(v)
		return
	}
	keys := make([]string, len(v.hits))
	args := make([]any, 1, 1+len(v.hits)*9)
	args[0] = int64(0)
	if b.clock != nil {
		args[0] = b.clock()
	}
	rates := 0
	for i, h := range v.hits {
		// The counter values (API keys, tokens) never reach Redis: a hash of
		// them does.
		sum := sha256.Sum256(v.keys[h.keyStart:h.keyEnd])
		keys[i] = h.limit.redisKey + hex.EncodeToString(sum[:16])
		args = append(args, len(h.limit.rates))
		for _, rate := range h.limit.rates {
			window := max(rate.window.Microseconds(), 1)
			slot := int64(0)
			if rate.spec.slot > 0 {
				slot = max(window/slots, 1)
			}
			args = append(args, rate.spec.limit, window, slot, rate.spec.maxEntries)
		}
		rates += len(h.limit.rates)
	}
	reply, err := slidingWindow.Run(context.Background(), b.client, keys, args...).Int64Slice()
	if err == nil && len(reply) != 2+2*rates {
		err = fmt.Errorf("rate-limit script answered %d values, want %d", len(reply), 2+2*rates)
	}
	if err != nil {
		b.failed(err)
		b.fallback(v)
		return
	}
	b.recovered()

	next := 2
	for i := range v.hits {
		h := &v.hits[i]
		h.usageStart = len(v.usage)
		used, _ := v.growUsage(len(h.limit.rates))
		for j := range used {
			used[j] = usage{
				rate:      &h.limit.rates[j],
				remaining: reply[next],
				wait:      int64(time.Duration(reply[next+1]) * time.Microsecond),
			}
			next += 2
		}
	}
	if reply[0] == 0 {
		v.Outcome, v.RetryAfter = Limited, time.Duration(reply[1])*time.Microsecond
	}
}

// fallback decides by the failure mode, without counters (and so without
// rate-limit headers).
func (b *redisBackend) fallback(v *Verdict) {
	b.fallbacks.Add(1)
	v.usage, v.tokens = v.usage[:0], v.tokens[:0]
	if b.opts.FailureMode == FailClosed {
		v.Outcome, v.RetryAfter = Unavailable, b.opts.RetryInterval
		return
	}
	v.Outcome = Admitted
}

// failed records a failure and logs it: once when the outage starts, then at
// most once per outageReportInterval, never per request.
func (b *redisBackend) failed(err error) {
	b.errors.Add(1)
	now := time.Now()
	b.downUntil.Store(now.Add(b.opts.RetryInterval).UnixNano())
	if b.failing.CompareAndSwap(false, true) {
		b.lastReport.Store(now.UnixNano())
		b.log.Error(err, "Rate-limit counters in Redis are unreachable; requests follow the failure mode until it is back",
			"failureMode", string(b.opts.FailureMode), "retryInterval", b.opts.RetryInterval.String())
		return
	}
	last := b.lastReport.Load()
	if now.UnixNano()-last >= int64(outageReportInterval) && b.lastReport.CompareAndSwap(last, now.UnixNano()) {
		b.log.Error(err, "Rate-limit counters in Redis are still unreachable",
			"failureMode", string(b.opts.FailureMode), "errors", b.errors.Load(), "fallbacks", b.fallbacks.Load())
	}
}

func (b *redisBackend) recovered() {
	if b.failing.CompareAndSwap(true, false) {
		b.log.Info("Rate-limit counters in Redis are reachable again", "errors", b.errors.Load(), "fallbacks", b.fallbacks.Load())
	}
}
