//go:build !race

// The race detector changes allocation counts, so they are checked without it.

package ratelimit

import (
	"strconv"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"github.com/turnpike-gateway/turnpike/dataplane/expr"
)

// TestLocalCheckDoesNotAllocate: a limit check in local mode, with one shared
// counter or a counter per header value (existing counters), allocates
// nothing. Not parallel: allocation counts are process-wide.
func TestLocalCheckDoesNotAllocate(t *testing.T) {
	for _, counters := range [][]string{nil, {"request.headers['x-api-key']"}, {"request.headers['x-api-key']", "source.address"}} {
		r := NewRegistry(Options{}, logr.Discard())
		set := buildSet(t, r, limitSpec(t, "l", counters, 1_000_000_000, time.Hour, 1_000_000, time.Second))
		reqs := make([]*request, 100)
		for i := range reqs {
			reqs[i] = newRequest("X-Api-Key", "key-"+strconv.Itoa(i))
		}
		a, v := expr.NewActivation(), &Verdict{}
		i := 0
		checkNext := func() {
			a.Reset(reqs[i%len(reqs)])
			set.Check(a, v)
			if v.Outcome != Admitted {
				t.Fatalf("refused: %s", v.Outcome)
			}
			i++
		}
		for range len(reqs) {
			checkNext() // create the counters and grow the scratch space
		}
		if allocs := testing.AllocsPerRun(500, checkNext); allocs != 0 {
			t.Errorf("counters %q: a check allocates %.1f times, want 0", counters, allocs)
		}
	}
}
