package ratelimit

import (
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"github.com/turnpike-gateway/turnpike/dataplane/expr"
	"github.com/turnpike-gateway/turnpike/dataplane/ratelimit/redistest"
)

// testTimeout only keeps a broken test from hanging; nothing asserts on time.
const testTimeout = 20 * time.Second

func redisRegistry(addr string, opts Options) *Registry {
	opts.Redis.Address = addr
	if opts.Redis.Timeout == 0 {
		opts.Redis.Timeout = 2 * time.Second // generous: the machine is shared
	}
	return NewRegistry(opts, logr.Discard())
}

// TestRedisAgreesWithLocal runs the same random arrivals through the Lua
// script and through the in-memory windows, on the same clock: outcomes and
// headers must be identical, so everything proven of the local windows holds
// for Redis too.
func TestRedisAgreesWithLocal(t *testing.T) {
	t.Parallel()
	server := redistest.Start(t)
	for i, rates := range [][]any{
		{3, time.Second},
		{32, 10 * time.Second},
		{40, 10 * time.Second, 5, time.Second},
		{200, time.Minute},
	} {
		rng := rand.New(rand.NewPCG(uint64(i), 11))
		spec := limitSpec(t, "l", []string{"request.headers['x-user']"}, rates...)
		spec.CounterKey = t.Name() + string(rune('a'+i))
		clock := &fakeClock{}
		local := buildSet(t, localRegistry(clock, Options{}), spec)
		remote := redisRegistry(server.Addr(), Options{})
		t.Cleanup(func() { _ = remote.Close() })
		remote.redis.clock = func() int64 { return clock.read() / int64(time.Microsecond) }
		shared := buildSet(t, remote, spec)

		longest := spec.Rates[0].Window
		now := time.Duration(1_700_000_000) * time.Second // a Unix time, as Redis's would be
		limited := 0
		requests := 300 + 15*int(spec.Rates[0].Limit)
		for n := range requests {
			// Mostly bursts at one instant and steps near the rate; now and
			// then a gap that empties the windows. Steps are whole quanta, so
			// that requests often land exactly where an older one leaves.
			limit := spec.Rates[0].Limit
			quantum := (longest / time.Duration(2*limit)).Truncate(time.Microsecond)
			switch {
			case rng.Int64N(4*limit) == 0:
				now += quantum * time.Duration(rng.Int64N(4*limit))
			case rng.IntN(3) == 0:
				now += quantum * time.Duration(rng.Int64N(3))
			}
			now = now.Truncate(time.Microsecond)
			clock.set(now)
			user := []string{"alice", "bob"}[rng.IntN(2)]
			want := check(local, newRequest("X-User", user))
			got := check(shared, newRequest("X-User", user))
			if got.Outcome != want.Outcome || got.RetryAfter != want.RetryAfter {
				t.Fatalf("rates %v, request %d: Redis %s (retry %s), local %s (retry %s)",
					rates, n, got.Outcome, got.RetryAfter, want.Outcome, want.RetryAfter)
			}
			if g, w := string(got.AppendRateLimit(nil)), string(want.AppendRateLimit(nil)); g != w {
				t.Fatalf("rates %v, request %d: Redis says %s, local %s", rates, n, g, w)
			}
			if got.Outcome == Limited {
				limited++
			}
		}
		if limited == 0 {
			t.Errorf("rates %v: nothing was limited; the test did not exercise the windows", rates)
		}
	}
}

// TestTwoReplicasShareOneLimit: two registries (two data planes) with their own
// connections admit no more than the limit together, under concurrency.
func TestTwoReplicasShareOneLimit(t *testing.T) {
	t.Parallel()
	server := redistest.Start(t)
	for _, limit := range []int{20, 100} { // exact and grouped windows
		spec := limitSpec(t, "shared", nil, limit, time.Hour)
		spec.CounterKey = t.Name() + "/" + strconv.Itoa(limit)
		var admitted, refused atomic.Int64
		var wg sync.WaitGroup
		for range 2 {
			r := redisRegistry(server.Addr(), Options{})
			t.Cleanup(func() { _ = r.Close() })
			set := buildSet(t, r, spec)
			for range 4 {
				wg.Go(func() {
					a, v := expr.NewActivation(), &Verdict{}
					a.Reset(newRequest())
					for range limit {
						set.Check(a, v)
						switch v.Outcome {
						case Admitted:
							admitted.Add(1)
						case Limited:
							refused.Add(1)
						default:
							t.Errorf("outcome %s: Redis failed", v.Outcome)
						}
					}
				})
			}
			if s := r.Stats(); s.RedisErrors != 0 {
				t.Errorf("Redis errors: %+v", s)
			}
		}
		wg.Wait()
		if admitted.Load() != int64(limit) || refused.Load() != int64(7*limit) {
			t.Errorf("limit %d per hour: two replicas admitted %d and refused %d of %d", limit, admitted.Load(), refused.Load(), 8*limit)
		}
	}
}

// TestRedisOutage kills Redis mid-test: requests follow the failure mode (open
// admits, closed refuses with Unavailable), errors are counted, and limiting
// resumes by itself once Redis is back on the same address.
func TestRedisOutage(t *testing.T) {
	t.Parallel()
	for _, mode := range []FailureMode{FailOpen, FailClosed} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			server := redistest.Start(t)
			r := redisRegistry(server.Addr(), Options{Redis: RedisOptions{FailureMode: mode, RetryInterval: 20 * time.Millisecond}})
			t.Cleanup(func() { _ = r.Close() })
			set := buildSet(t, r, limitSpec(t, "l", nil, 2, time.Hour))
			expect := func(step string, want ...Outcome) {
				t.Helper()
				for i, w := range want {
					if got := check(set, newRequest()).Outcome; got != w {
						t.Fatalf("%s, request %d: %s, want %s", step, i, got, w)
					}
				}
			}
			expect("before the outage", Admitted, Admitted, Limited)

			server.Stop()
			during := Admitted
			if mode == FailClosed {
				during = Unavailable
			}
			expect("during the outage", during, during, during)
			v := check(set, newRequest())
			if v.HasHeaders() {
				t.Error("a verdict without counters carries rate-limit headers")
			}
			if mode == FailClosed && v.RetryAfter != 20*time.Millisecond {
				t.Errorf("Unavailable retry after %s, want the retry interval", v.RetryAfter)
			}
			if s := r.Stats(); s.RedisErrors == 0 || s.RedisFallbacks < 4 {
				t.Errorf("stats during the outage: %+v", s)
			}

			server.Restart() // empty: the counts are gone with the old process
			deadline := time.Now().Add(testTimeout)
			for !check(set, newRequest()).HasHeaders() {
				if time.Now().After(deadline) {
					t.Fatal("limiting did not resume after Redis came back")
				}
				time.Sleep(10 * time.Millisecond)
			}
			// One request was counted by the loop that saw Redis back.
			expect("after the outage", Admitted, Limited)
		})
	}
}
