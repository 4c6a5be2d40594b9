//go:build !race

// The race detector changes allocation counts, so they are checked without it.

package expr

import "testing"

// TestFastValueDoesNotAllocate: the counter shapes every request pays for read
// the request without allocating. Not parallel: allocation counts are
// process-wide.
func TestFastValueDoesNotAllocate(t *testing.T) {
	req := newFakeRequest("X-Api-Key", "k-123")
	a := activation(req)
	buf := make([]byte, 0, 128)
	for _, source := range []string{"request.headers['x-api-key']", "source.address", "request.method", "request.path", "request.host"} {
		v := mustValue(t, source)
		allocs := testing.AllocsPerRun(100, func() {
			var err error
			if buf, err = v.Append(buf[:0], a); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s allocates %.1f times, want 0", source, allocs)
		}
	}
}
