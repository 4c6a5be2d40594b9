//go:build !race

// The race detector changes allocation counts, so they are checked without it.

package problem

import "testing"

// TestAppendBodyReusesTheBuffer: rendering into a buffer with room allocates
// nothing, so a pooled buffer makes per-request details free. Not parallel:
// allocation counts are process-wide.
func TestAppendBodyReusesTheBuffer(t *testing.T) {
	buf := make([]byte, 0, 512)
	allocs := testing.AllocsPerRun(100, func() {
		buf = Forbidden.AppendBody(buf[:0], 403, "The request needs the scope read:toys.")
	})
	if allocs != 0 {
		t.Errorf("AppendBody allocates %.1f times, want 0", allocs)
	}
}
