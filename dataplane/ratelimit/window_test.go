package ratelimit

import (
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// admittedIn counts the admitted times in (from, to].
func admittedIn(times []int64, from, to int64) int {
	n := 0
	for _, t := range times {
		if t > from && t <= to {
			n++
		}
	}
	return n
}

// maxInAnyWindow is the most admitted times any interval [a, a+length) holds;
// the fullest interval can be taken to start at an admitted time.
func maxInAnyWindow(times []int64, length int64) int {
	sorted := append([]int64(nil), times...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	most, j := 0, 0
	for i := range sorted {
		for j < len(sorted) && sorted[j] < sorted[i]+length {
			j++
		}
		most = max(most, j-i)
	}
	return most
}

func TestWindowSlides(t *testing.T) {
	t.Parallel()
	// 3 per 10s. An aligned window would admit again at 10s; a sliding one
	// waits for the oldest request to leave.
	steps := []struct {
		at   time.Duration
		want bool
	}{
		{0, true}, {1 * time.Second, true}, {9 * time.Second, true},
		{9500 * time.Millisecond, false},
		{10 * time.Second, true}, // the request at 0 left: (0, 10] holds 2
		{10500 * time.Millisecond, false},
		{11 * time.Second, true}, // the one at 1s left
		{18 * time.Second, false},
		{19 * time.Second, true},
	}
	clock := &fakeClock{}
	set := buildSet(t, localRegistry(clock, Options{}), limitSpec(t, "l", nil, 3, 10*time.Second))
	var got, want []bool
	for _, s := range steps {
		clock.set(s.at)
		got = append(got, check(set, newRequest()).Outcome == Admitted)
		want = append(want, s.want)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("admissions (-want +got):\n%s", diff)
	}
}

// TestNoWindowEverHoldsMoreThanTheLimit sends requests at random times (bursts
// and gaps) against several rates and checks every window; exact rates must
// also admit exactly what a perfect log admits, and grouped ones may refuse
// only when the window stretched by one slot is full.
func TestNoWindowEverHoldsMoreThanTheLimit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		limit  int
		window time.Duration
	}{{1, time.Second}, {5, time.Second}, {32, 10 * time.Second}, {33, 10 * time.Second}, {200, time.Minute}} {
		t.Run("", func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(uint64(tc.limit), 7))
			clock := &fakeClock{}
			set := buildSet(t, localRegistry(clock, Options{}), limitSpec(t, "l", nil, tc.limit, tc.window))
			spec := newRateSpec(int64(tc.limit), int64(tc.window))
			length := int64(tc.window)
			var admitted []int64
			now := int64(0)
			for range 200 + 20*tc.limit {
				// Bursts at one instant, steady arrivals near the rate, and
				// gaps long enough to empty the window. Half the steps are whole
				// quanta, so that requests often land exactly where an older one
				// leaves the window.
				quantum := length / int64(2*tc.limit)
				switch rng.IntN(6) {
				case 0:
					now += rng.Int64N(2 * length)
				case 1:
					now += rng.Int64N(length / 10)
				case 2:
					now += rng.Int64N(2 * length / int64(tc.limit))
				case 3, 4:
					now += quantum * rng.Int64N(3)
				}
				clock.now.Store(now)
				ok := check(set, newRequest()).Outcome == Admitted
				inWindow := admittedIn(admitted, now-length, now)
				switch {
				case spec.slot == 0 && ok != (inWindow < tc.limit):
					t.Fatalf("at %d: admitted=%v with %d in the window; an exact window admits iff fewer than %d", now, ok, inWindow, tc.limit)
				case !ok && admittedIn(admitted, now-length-spec.slot, now) < tc.limit:
					t.Fatalf("at %d: refused with only %d in the window stretched by a slot", now, admittedIn(admitted, now-length-spec.slot, now))
				}
				if ok {
					admitted = append(admitted, now)
				}
			}
			if most := maxInAnyWindow(admitted, length); most > tc.limit {
				t.Errorf("a window of %s holds %d admitted requests, limit %d", tc.window, most, tc.limit)
			}
			if len(admitted) < 2*tc.limit {
				t.Errorf("only %d admitted: the test did not exercise the window", len(admitted))
			}
		})
	}
}

// TestClockGoingBackwardsAdmitsNoMore: a clock reading earlier than one
// already recorded is clamped, so it cannot make an admission expire early.
func TestClockGoingBackwardsAdmitsNoMore(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{}
	set := buildSet(t, localRegistry(clock, Options{}), limitSpec(t, "l", nil, 2, 10*time.Second))
	var got []Outcome
	for _, at := range []time.Duration{100 * time.Second, 0, 105 * time.Second} {
		clock.set(at)
		got = append(got, check(set, newRequest()).Outcome)
	}
	if diff := cmp.Diff([]Outcome{Admitted, Admitted, Limited}, got); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
}

func TestGroupedWindowMemoryIsBounded(t *testing.T) {
	t.Parallel()
	spec := newRateSpec(10_000_000, int64(time.Hour))
	var w window
	for i := range int64(3_000_000) {
		now := i * int64(time.Millisecond) // 1000/s for 50 minutes
		w.expire(now, &spec)
		if !w.full(&spec) {
			w.record(now, &spec)
		}
	}
	if len(w.entries) > slots+2 {
		t.Errorf("a window of %d requests keeps %d entries, want at most %d", w.total, len(w.entries), slots+2)
	}
	if w.total != 3_000_000 {
		t.Errorf("window holds %d requests, want all 3000000 (under the limit)", w.total)
	}
}
