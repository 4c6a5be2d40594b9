package compiler

import (
	"sync"

	"github.com/google/cel-go/cel"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// Compiling a CEL expression (parse, check, plan) costs about half a millisecond,
// two orders of magnitude more than the rest of what the compiler does per route:
// 1,000 AuthPolicies with an expression each made every compile take a second,
// and a compile runs on every change of every watched object (an EndpointSlice
// update included). Expressions rarely change between compiles, so their compiled
// form is remembered across compiles, by source.
//
// This keeps Compile a pure function: the environment is the same for every
// compile (expressionEnv), so an expression's compiled form depends on its source
// alone, and a compiled program is immutable and safe for concurrent use. What is
// remembered only saves time; the output is the same.

// memoSweepAge is how many compiles an expression may go unused before it is
// forgotten, so that the memo holds about what the current configuration uses.
const memoSweepAge = 16

type expressionMemo struct {
	mu      sync.Mutex
	epoch   uint64
	entries map[string]*memoEntry
}

type memoEntry struct {
	expr *snapshot.Expression
	err  error
	used uint64 // the epoch of the last compile that asked for it
}

var compiledExpressions = &expressionMemo{entries: map[string]*memoEntry{}}

// beginCompile starts a new epoch and forgets what recent compiles did not use.
func (m *expressionMemo) beginCompile() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.epoch++
	if m.epoch%memoSweepAge != 0 {
		return
	}
	for source, entry := range m.entries {
		if m.epoch-entry.used > memoSweepAge {
			delete(m.entries, source)
		}
	}
}

// compile returns the compiled expression of source in env, which must be
// expressionEnv's, compiling it only if no recent compile did.
func (m *expressionMemo) compile(env *cel.Env, source string) (*snapshot.Expression, error) {
	m.mu.Lock()
	if entry, ok := m.entries[source]; ok {
		entry.used = m.epoch
		m.mu.Unlock()
		return entry.expr, entry.err
	}
	epoch := m.epoch
	m.mu.Unlock()

	// Compiled outside the lock: concurrent compiles of one new source both do
	// the work, and either result is as good as the other.
	expr, err := snapshot.CompileExpression(env, source)

	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries[source] = &memoEntry{expr: expr, err: err, used: max(epoch, m.epoch)}
	return expr, err
}
