package ratelimit

// The sliding window of one rate of one counter.
//
// A rate "N per W" admits a request at time now only while fewer than N
// admitted requests lie in (now-W, now]. That is exact for every window: take
// any interval [a, a+W) and the last request admitted in it, at s; every other
// request admitted in it lies in [a, s), inside (s-W, s], so at most N-1 were
// there when s was admitted, and the interval holds at most N. Aligned (fixed)
// windows cannot promise this: they admit N at the end of one window and N more
// at the start of the next, 2N within W.
//
// The window remembers admitted requests as entries (last, count): count
// requests admitted at or before last. An entry leaves the window once
// last <= now-W, i.e. once every request in it has. Up to exactEntries
// requests per window are remembered one entry each, which makes the window
// exact in both directions (it also admits every request a perfect log would).
// Larger limits group the requests of each 1/slots of the window into one
// entry, stamped with the latest of them: a group leaves the window when its
// newest request does, so the window may refuse up to W/slots early, and never
// admits late. Memory is therefore bounded per rate by min(N, slots+2) entries
// of 16 bytes, whatever the traffic.
const (
	exactEntries = 32
	slots        = 32
)

// rateSpec is what every counter of one rate shares.
type rateSpec struct {
	limit  int64
	length int64 // window length, in clock units (nanoseconds locally)
	// slot groups admissions into one entry when non-zero.
	slot       int64
	maxEntries int
}

func newRateSpec(limit, length int64) rateSpec {
	spec := rateSpec{limit: limit, length: length}
	if limit <= exactEntries {
		spec.maxEntries = int(max(limit, 1))
		return spec
	}
	spec.slot = max(length/slots, 1)
	spec.maxEntries = slots + 2
	return spec
}

type entry struct {
	last  int64
	count int64
}

// window is a ring of entries, oldest at head. seq numbers the entries so
// that an admission can be refunded while its entry is still in the ring.
type window struct {
	entries []entry
	head    int
	size    int
	seq     uint64 // sequence number of entries[head]
	total   int64  // sum of the counts
}

func (w *window) reset() {
	w.head, w.size, w.seq, w.total = 0, 0, 0, 0
}

// at is the i-th oldest entry; i < len(entries). (No modulo: a division per
// access shows in the profile of every request.)
func (w *window) at(i int) *entry {
	j := w.head + i
	if j >= len(w.entries) {
		j -= len(w.entries)
	}
	return &w.entries[j]
}

// expire drops the entries whose requests have all left the window.
func (w *window) expire(now int64, spec *rateSpec) {
	cutoff := now - spec.length
	for w.size > 0 {
		oldest := w.at(0)
		if oldest.last > cutoff {
			return
		}
		w.total -= oldest.count
		if w.head++; w.head == len(w.entries) {
			w.head = 0
		}
		w.size--
		w.seq++
	}
}

// full reports whether the window has no room; call expire first.
func (w *window) full(spec *rateSpec) bool { return w.total >= spec.limit }

// remaining is the room left; call expire first.
func (w *window) remaining(spec *rateSpec) int64 { return max(spec.limit-w.total, 0) }

// record admits one request at now and returns the sequence number of the entry
// that holds it.
func (w *window) record(now int64, spec *rateSpec) uint64 {
	w.total++
	if w.size > 0 {
		newest := w.at(w.size - 1)
		sameSlot := spec.slot > 0 && newest.last/spec.slot == now/spec.slot
		// A full ring (possible only after refunds left empty entries) folds
		// into the newest entry: later expiry, never earlier.
		if sameSlot || w.size >= spec.maxEntries {
			newest.last = max(newest.last, now)
			newest.count++
			return w.seq + uint64(w.size-1)
		}
	}
	if w.size == len(w.entries) {
		w.grow(spec)
	}
	*w.at(w.size) = entry{last: now, count: 1}
	w.size++
	return w.seq + uint64(w.size-1)
}

// grow doubles the ring, up to maxEntries, oldest first. Rings start small so
// that a flood of keys that send one request each costs little.
func (w *window) grow(spec *rateSpec) {
	size := min(max(2*len(w.entries), 2), spec.maxEntries)
	grown := make([]entry, size)
	for i := range w.size {
		grown[i] = *w.at(i)
	}
	w.entries, w.head = grown, 0
}

// refund takes back one admission recorded under seq, if its entry is still in
// the window.
func (w *window) refund(seq uint64) {
	if seq < w.seq || seq >= w.seq+uint64(w.size) {
		return
	}
	if e := w.at(int(seq - w.seq)); e.count > 0 {
		e.count--
		w.total--
	}
}

// wait is how long from now until the window has room for one more request
// (when full), or until its room next grows (when not): the time until enough
// of the oldest requests leave. Call expire first.
func (w *window) wait(now int64, spec *rateSpec) int64 {
	need := max(w.total-spec.limit+1, 1)
	for i := range w.size {
		e := w.at(i)
		if need -= e.count; need <= 0 {
			return e.last + spec.length - now
		}
	}
	return spec.length
}
