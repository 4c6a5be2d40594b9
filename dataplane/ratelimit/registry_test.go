package ratelimit

import (
	"fmt"
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/google/go-cmp/cmp"

	"github.com/turnpike-gateway/turnpike/dataplane/expr"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// TestConcurrentClientsNeverExceedAnyWindow hammers one counter from many
// goroutines on the real clock and checks the times of the admissions (read
// under the counter's lock) against every window.
func TestConcurrentClientsNeverExceedAnyWindow(t *testing.T) {
	t.Parallel()
	const (
		limit   = 20
		window  = 10 * time.Millisecond
		workers = 8
		run     = 300 * time.Millisecond
	)
	for _, rates := range [][]any{{limit, window}, {limit, window, 3 * limit, 5 * window}, {100, 4 * window}} {
		t.Run(fmt.Sprint(rates...), func(t *testing.T) {
			t.Parallel()
			r := NewRegistry(Options{}, logr.Discard())
			spec := limitSpec(t, "l", nil, rates...)
			set := buildSet(t, r, spec)
			var mu sync.Mutex
			var admitted []int64
			refused := 0
			var wg sync.WaitGroup
			end := time.Now().Add(run)
			for range workers {
				wg.Go(func() {
					a, v := expr.NewActivation(), &Verdict{}
					a.Reset(newRequest())
					var mine []int64
					no := 0
					for time.Now().Before(end) {
						set.Check(a, v)
						if v.Outcome == Admitted {
							mine = append(mine, v.decidedAt)
						} else {
							no++
						}
					}
					mu.Lock()
					admitted, refused = append(admitted, mine...), refused+no
					mu.Unlock()
				})
			}
			wg.Wait()
			if len(admitted) == 0 || refused == 0 {
				t.Fatalf("admitted %d, refused %d: the limit was not exercised", len(admitted), refused)
			}
			for _, rate := range spec.Rates {
				if most := maxInAnyWindow(admitted, int64(rate.Window)); most > int(rate.Limit) {
					t.Errorf("a window of %s holds %d admissions, limit %d", rate.Window, most, rate.Limit)
				}
			}
		})
	}
}

// TestRefusedRequestCountsAgainstNoLimit: a client over its own limit must not
// use up a shared limit checked before it.
func TestRefusedRequestCountsAgainstNoLimit(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{}
	global := limitSpec(t, "global", nil, 100, time.Hour)
	perUser := limitSpec(t, "per-user", []string{"request.headers['x-user']"}, 2, time.Hour)
	set := buildSet(t, localRegistry(clock, Options{}), global, perUser)
	var outcomes []Outcome
	for range 10 {
		outcomes = append(outcomes, check(set, newRequest("X-User", "greedy")).Outcome)
	}
	want := []Outcome{Admitted, Admitted, Limited, Limited, Limited, Limited, Limited, Limited, Limited, Limited}
	if diff := cmp.Diff(want, outcomes); diff != "" {
		t.Fatalf("greedy user (-want +got):\n%s", diff)
	}
	v := check(set, newRequest("X-User", "polite"))
	got := string(v.AppendRateLimit(nil))
	if want := `"ns/policy/global";r=97;t=3600, "ns/policy/per-user";r=1;t=3600`; got != want {
		t.Errorf("RateLimit = %s, want %s (refused requests used up the global limit)", got, want)
	}
}

func TestLimitsThatDoNotApplyAreNotCounted(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{}
	onlyPost := limitSpec(t, "posts", nil, 1, time.Hour)
	onlyPost.When = []*snapshot.Expression{compile(t, "request.method == 'POST'")}
	failing := limitSpec(t, "failing-when", nil, 1, time.Hour)
	failing.When = []*snapshot.Expression{compile(t, "request.nope == 'x'")}
	badCounter := limitSpec(t, "bad-counter", []string{"auth.identity.username"}, 1, time.Hour)
	set := buildSet(t, localRegistry(clock, Options{}), onlyPost, failing, badCounter)
	for i := range 3 {
		v := check(set, newRequest())
		if v.Outcome != Admitted || v.HasHeaders() {
			t.Fatalf("request %d: %s with headers %v; no limit applies", i, v.Outcome, v.HasHeaders())
		}
	}
	post := newRequest()
	post.method = []byte("POST")
	if got := []Outcome{check(set, post).Outcome, check(set, post).Outcome}; got[0] != Admitted || got[1] != Limited {
		t.Errorf("POSTs: %v, want [Admitted Limited]", got)
	}
}

func TestCountersAreSelectedByValues(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{}
	spec := limitSpec(t, "per-key-and-ip", []string{"request.headers['x-api-key']", "source.address"}, 1, time.Hour)
	set := buildSet(t, localRegistry(clock, Options{}), spec)
	otherClient := newRequest("X-Api-Key", "a")
	otherClient.client = netip.MustParseAddrPort("192.0.2.11:40000")
	got := []Outcome{
		check(set, newRequest("X-Api-Key", "a")).Outcome,
		check(set, newRequest("X-Api-Key", "b")).Outcome,
		check(set, newRequest()).Outcome, // no key: the counter of ""
		check(set, otherClient).Outcome,
		check(set, newRequest("X-Api-Key", "a")).Outcome,
		check(set, newRequest()).Outcome,
	}
	want := []Outcome{Admitted, Admitted, Admitted, Admitted, Limited, Limited}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
}

// TestValuesAreDelimited: counter values are length-delimited, so values that
// concatenate alike are still different counters.
func TestValuesAreDelimited(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{}
	spec := limitSpec(t, "pair", []string{"request.headers['x-a']", "request.headers['x-b']"}, 1, time.Hour)
	set := buildSet(t, localRegistry(clock, Options{}), spec)
	first := check(set, newRequest("X-A", "ab", "X-B", "c")).Outcome
	second := check(set, newRequest("X-A", "a", "X-B", "bc")).Outcome
	if first != Admitted || second != Admitted {
		t.Errorf("(ab, c) then (a, bc): %s, %s; want both admitted", first, second)
	}
}

// TestFloodOfKeysIsBounded sends 100,000 distinct API keys at a limit bounded
// to 1,000 counters, with one steady client among them.
func TestFloodOfKeysIsBounded(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{}
	r := localRegistry(clock, Options{MaxCountersPerLimit: 1000})
	spec := limitSpec(t, "per-key", []string{"request.headers['x-api-key']"}, 5, time.Hour)
	set := buildSet(t, r, spec)
	store := set.limits[0].store
	a, v := expr.NewActivation(), &Verdict{}
	steady := newRequest("X-Api-Key", "steady")
	flood := newRequest("X-Api-Key", "")
	steadyAdmitted, steadyRefused := 0, 0
	for i := range 100_000 {
		flood.headers["X-Api-Key"] = strconv.AppendInt(flood.headers["X-Api-Key"][:0], int64(i), 36)
		a.Reset(flood)
		set.Check(a, v)
		if v.Outcome != Admitted {
			t.Fatalf("flood key %d refused: each sends one request", i)
		}
		if i%10 == 0 {
			a.Reset(steady)
			set.Check(a, v)
			if v.Outcome == Admitted {
				steadyAdmitted++
			} else {
				steadyRefused++
			}
		}
		if i%997 == 0 && store.len() > 1000 {
			t.Fatalf("after %d keys the limit holds %d counters, bound 1000", i+1, store.len())
		}
	}
	if n := store.len(); n > 1000 {
		t.Errorf("the limit holds %d counters, bound 1000", n)
	}
	// The steady client, one request every ten flood keys, is used recently
	// enough never to be evicted: it gets its 5 requests in the hour, no more.
	if steadyAdmitted != 5 || steadyRefused != 9995 {
		t.Errorf("steady client: %d admitted, %d refused; want 5 and 9995", steadyAdmitted, steadyRefused)
	}
	stats := r.Stats()
	if stats.Evictions < 99_000 || stats.ActiveEvictions != stats.Evictions {
		t.Errorf("stats %+v: want about 99,000 evictions, all of counters still in their window", stats)
	}
	if stats.Counters != int64(store.len()) {
		t.Errorf("stats count %d counters, the store holds %d", stats.Counters, store.len())
	}
}

// TestCountersSurviveRebuilds: a new snapshot with the same CounterKey keeps
// the counts; a changed limit (new CounterKey) starts afresh, and the counters
// of a limit that left are dropped.
func TestCountersSurviveRebuilds(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{}
	r := localRegistry(clock, Options{})
	remaining := func(set *Set) string {
		return string(check(set, newRequest()).AppendRateLimit(nil))
	}
	first := buildSet(t, r, limitSpec(t, "l", nil, 5, time.Hour))
	remaining(first)
	remaining(first)
	// A new snapshot: new spec values, same CounterKey.
	second := buildSet(t, r, limitSpec(t, "l", nil, 5, time.Hour))
	if got, want := remaining(second), `"ns/policy/l";r=2;t=3600`; got != want {
		t.Errorf("after an unchanged rebuild: %s, want %s", got, want)
	}
	changed := limitSpec(t, "l", nil, 10, time.Hour)
	changed.CounterKey = "uid-1/l/v2"
	third := buildSet(t, r, changed)
	if got, want := remaining(third), `"ns/policy/l";r=9;t=3600`; got != want {
		t.Errorf("after the limit changed: %s, want %s", got, want)
	}
	if got := r.Stats().Counters; got != 1 {
		t.Errorf("registry holds %d counters, want 1 (the old limit's are dropped)", got)
	}
	// A rebuild that drops the limit and one that brings it back: it starts
	// afresh.
	buildSet(t, r)
	fourth := buildSet(t, r, changed)
	if got, want := remaining(fourth), `"ns/policy/l";r=9;t=3600`; got != want {
		t.Errorf("after the limit left and came back: %s, want %s", got, want)
	}
}

func TestHeaders(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{}
	multi := limitSpec(t, "per-user", nil, 2, 1500*time.Millisecond, 100, time.Minute, 1000, time.Hour)
	odd := limitSpec(t, `we"ird\name`, nil, 1, 500*time.Millisecond)
	set := buildSet(t, localRegistry(clock, Options{}), multi, odd)
	clock.set(time.Hour)
	first := check(set, newRequest())
	clock.set(time.Hour + 200*time.Millisecond)
	second := check(set, newRequest())

	wantPolicy := `"ns/policy/per-user/1500ms";q=2;w=2, "ns/policy/per-user/1m";q=100;w=60, ` +
		`"ns/policy/per-user/1h";q=1000;w=3600, "ns/policy/we\"ird\\name";q=1;w=1`
	if got := string(first.AppendPolicy(nil)); got != wantPolicy {
		t.Errorf("RateLimit-Policy:\n got %s\nwant %s", got, wantPolicy)
	}
	wantFirst := `"ns/policy/per-user/1500ms";r=1;t=2, "ns/policy/per-user/1m";r=99;t=60, ` +
		`"ns/policy/per-user/1h";r=999;t=3600, "ns/policy/we\"ird\\name";r=0;t=1`
	if got := string(first.AppendRateLimit(nil)); got != wantFirst {
		t.Errorf("RateLimit after the first request:\n got %s\nwant %s", got, wantFirst)
	}
	// The second is refused by the last limit (1 per 500ms): the multi-rate
	// limit is refunded, and Retry-After says when the 500ms window has room.
	if second.Outcome != Limited || second.RetryAfter != 300*time.Millisecond || second.RetryAfterSeconds() != 1 {
		t.Errorf("second request: %s, retry after %s (%ds); want Limited, 300ms (1s)", second.Outcome, second.RetryAfter, second.RetryAfterSeconds())
	}
	wantSecond := `"ns/policy/per-user/1500ms";r=1;t=2, "ns/policy/per-user/1m";r=99;t=60, ` +
		`"ns/policy/per-user/1h";r=999;t=3600, "ns/policy/we\"ird\\name";r=0;t=1`
	if got := string(second.AppendRateLimit(nil)); got != wantSecond {
		t.Errorf("RateLimit after the refused request:\n got %s\nwant %s", got, wantSecond)
	}
}

func TestInvalidLimitsAreRejected(t *testing.T) {
	t.Parallel()
	r := localRegistry(&fakeClock{}, Options{})
	noRates := limitSpec(t, "none", nil)
	negative := limitSpec(t, "negative", nil, -1, time.Second)
	noWindow := limitSpec(t, "no-window", nil, 1, time.Duration(0))
	nilWhen := limitSpec(t, "nil-when", nil, 1, time.Second)
	nilWhen.When = []*snapshot.Expression{nil}
	for _, spec := range []*snapshot.RateLimit{noRates, negative, noWindow, nilWhen, nil} {
		if _, err := r.NewBuilder().Limits([]*snapshot.RateLimit{spec}); err == nil {
			t.Errorf("limit %+v was accepted", spec)
		}
	}
	if set, err := r.NewBuilder().Limits(nil); set != nil || err != nil {
		t.Errorf("no limits: %v, %v; want nil, nil", set, err)
	}
}

func TestZeroLimitRefusesEverything(t *testing.T) {
	t.Parallel()
	set := buildSet(t, localRegistry(&fakeClock{}, Options{}), limitSpec(t, "closed", nil, 0, time.Minute))
	v := check(set, newRequest())
	if v.Outcome != Limited || v.RetryAfter != time.Minute {
		t.Errorf("limit 0: %s, retry after %s; want Limited, 1m", v.Outcome, v.RetryAfter)
	}
}
