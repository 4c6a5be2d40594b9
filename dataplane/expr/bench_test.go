package expr

import "testing"

// The per-request cost of a counter: the recognised shapes against CEL running
// the same expression, and a typical `when` predicate.
func BenchmarkCounterHeaderFast(b *testing.B) { benchValue(b, "request.headers['x-api-key']", true) }
func BenchmarkCounterHeaderCEL(b *testing.B)  { benchValue(b, "request.headers['x-api-key']", false) }
func BenchmarkCounterAddressFast(b *testing.B) {
	benchValue(b, "source.address", true)
}
func BenchmarkCounterAddressCEL(b *testing.B) { benchValue(b, "source.address", false) }

func benchValue(b *testing.B, source string, fast bool) {
	v := mustValue(b, source)
	if !fast {
		v = &Value{source: v.source, program: v.program}
	}
	a := activation(newFakeRequest("X-Api-Key", "k-123"))
	buf := make([]byte, 0, 128)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = v.Append(buf[:0], a); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPredicateCEL(b *testing.B) {
	p := mustPredicate(b, "request.method == 'GET' && request.headers['x-tier'] != 'gold'")
	a := activation(newFakeRequest("X-Api-Key", "k-123"))
	b.ReportAllocs()
	for b.Loop() {
		if !p.Eval(a) {
			b.Fatal("predicate is false")
		}
	}
}
