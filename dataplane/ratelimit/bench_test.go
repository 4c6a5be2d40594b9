package ratelimit

import (
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"github.com/turnpike-gateway/turnpike/dataplane/expr"
	"github.com/turnpike-gateway/turnpike/dataplane/ratelimit/redistest"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// The per-request cost of a limit check. Limits are high enough that every
// request is admitted, so the cost measured is the common one.

func BenchmarkLocalOneCounter(b *testing.B) {
	benchCheck(b, NewRegistry(Options{}, logr.Discard()), nil, 1)
}

func BenchmarkLocalPerKey10k(b *testing.B) {
	benchCheck(b, NewRegistry(Options{}, logr.Discard()), []string{"request.headers['x-api-key']"}, 10_000)
}

// BenchmarkLocalPerKeyCEL is the same counter written so that CEL must run it.
func BenchmarkLocalPerKeyCEL(b *testing.B) {
	benchCheck(b, NewRegistry(Options{}, logr.Discard()), []string{"request.headers['x-api-key'] + ''"}, 10_000)
}

func BenchmarkLocalWhenCEL(b *testing.B) {
	r := NewRegistry(Options{}, logr.Discard())
	spec := limitSpec(b, "l", []string{"request.headers['x-api-key']"}, 1_000_000_000, time.Hour)
	spec.When = []*snapshot.Expression{compile(b, "request.method == 'GET'")}
	benchSpec(b, r, spec, 10_000)
}

// BenchmarkLocalOneCounterParallel: every core on one counter, the worst case
// for its lock.
func BenchmarkLocalOneCounterParallel(b *testing.B) {
	set := buildSet(b, NewRegistry(Options{}, logr.Discard()), limitSpec(b, "l", nil, 1_000_000_000, time.Hour))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		a, v := expr.NewActivation(), &Verdict{}
		a.Reset(newRequest())
		for pb.Next() {
			set.Check(a, v)
		}
	})
}

func BenchmarkRedisOneCounter(b *testing.B) {
	server := redistest.Start(b)
	r := redisRegistry(server.Addr(), Options{})
	b.Cleanup(func() { _ = r.Close() })
	benchCheck(b, r, nil, 1)
}

func BenchmarkRedisPerKey10k(b *testing.B) {
	server := redistest.Start(b)
	r := redisRegistry(server.Addr(), Options{})
	b.Cleanup(func() { _ = r.Close() })
	benchCheck(b, r, []string{"request.headers['x-api-key']"}, 10_000)
}

func benchCheck(b *testing.B, r *Registry, counters []string, keys int) {
	benchSpec(b, r, limitSpec(b, "l", counters, 1_000_000_000, time.Hour), keys)
}

func benchSpec(b *testing.B, r *Registry, spec *snapshot.RateLimit, keys int) {
	set := buildSet(b, r, spec)
	reqs := make([]*request, keys)
	for i := range reqs {
		reqs[i] = newRequest("X-Api-Key", "key-"+strconv.Itoa(i))
	}
	a, v := expr.NewActivation(), &Verdict{}
	for _, req := range reqs { // create the counters
		a.Reset(req)
		set.Check(a, v)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		a.Reset(reqs[i%keys])
		set.Check(a, v)
		if v.Outcome != Admitted {
			b.Fatalf("refused: %s", v.Outcome)
		}
		i++
	}
}

// BenchmarkCounterMemory reports the heap one counter costs, for a limit with
// one exact rate (10/s) and one grouped rate (1000/h): a key seen once (a flood
// of random keys), and a key whose windows hold all they can (ten requests
// every 110s for an hour: 10 entries in the 1s window, 34 groups in the hour).
func BenchmarkCounterMemory(b *testing.B) {
	for _, tc := range []struct {
		name           string
		keys           int
		rounds, bursts int
	}{{"seen-once", 20_000, 1, 1}, {"full-windows", 2_000, 34, 10}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				clock := &fakeClock{}
				r := localRegistry(clock, Options{MaxCountersPerLimit: tc.keys})
				set := buildSet(b, r, limitSpec(b, "l", []string{"request.headers['x-api-key']"}, 10, time.Second, 1000, time.Hour))
				a, v := expr.NewActivation(), &Verdict{}
				reqs := make([]*request, tc.keys)
				for i := range reqs {
					reqs[i] = newRequest("X-Api-Key", strconv.Itoa(i))
				}
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				for round := range tc.rounds {
					clock.set(time.Duration(round) * 110 * time.Second)
					for _, req := range reqs {
						a.Reset(req)
						for range tc.bursts {
							set.Check(a, v)
						}
					}
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/float64(tc.keys), "bytes/counter")
				runtime.KeepAlive(set)
				runtime.KeepAlive(reqs) // not counted: they are the test's, not the limit's
			}
		})
	}
}
