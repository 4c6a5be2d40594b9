package telemetry

import "sync/atomic"

// cells count requests of one outcome by method and status class.
type cells [numMethods][numClasses]atomic.Uint64

// Requests counts requests by outcome, method and status class. Its table,
// and the cells of each outcome, are created the first time a request needs
// them: a rule that never sees traffic costs one pointer, and one that only
// ever forwards one block of 55 counters, not seventeen. That first request
// allocates; every later one only adds.
type Requests struct {
	table atomic.Pointer[outcomeTable]
}

type outcomeTable [numOutcomes]atomic.Pointer[cells]

// Add counts one request.
func (r *Requests) Add(o Outcome, m Method, c Class) {
	if o >= numOutcomes || m >= numMethods || c >= numClasses {
		return
	}
	t := r.table.Load()
	if t == nil {
		t = install(&r.table)
	}
	block := t[o].Load()
	if block == nil {
		block = install(&t[o])
	}
	block[m][c].Add(1)
}

// install stores a new T in p unless one is there already; of two requests
// that race, one installs and both use the same T.
func install[T any](p *atomic.Pointer[T]) *T {
	fresh := new(T)
	if p.CompareAndSwap(nil, fresh) {
		return fresh
	}
	return p.Load()
}

// visit calls fn for every cell that counted a request.
func (r *Requests) visit(fn func(o Outcome, m Method, c Class, n uint64)) {
	t := r.table.Load()
	if t == nil {
		return
	}
	for o := range t {
		block := t[o].Load()
		if block == nil {
			continue
		}
		for m := range block {
			for c := range block[m] {
				if n := block[m][c].Load(); n > 0 {
					fn(Outcome(o), Method(m), Class(c), n)
				}
			}
		}
	}
}
