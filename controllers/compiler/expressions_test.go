package compiler

import "testing"

// TestExpressionMemo: an expression is compiled once and shared while compiles use
// it, and forgotten once they stop. Not parallel: other tests' compiles would move
// the epochs this test counts.
func TestExpressionMemo(t *testing.T) {
	env, err := expressionEnv()
	if err != nil {
		t.Fatal(err)
	}
	const source = "request.method == 'TestExpressionMemo'"
	first, err := compiledExpressions.compile(env, source)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 * memoSweepAge {
		compiledExpressions.beginCompile()
		again, err := compiledExpressions.compile(env, source)
		if err != nil || again != first {
			t.Fatalf("a source in use was compiled again (%p, then %p, %v)", first, again, err)
		}
	}
	for range 2 * memoSweepAge {
		compiledExpressions.beginCompile()
	}
	compiledExpressions.mu.Lock()
	_, kept := compiledExpressions.entries[source]
	compiledExpressions.mu.Unlock()
	if kept {
		t.Errorf("a source no compile used for %d compiles is still remembered", 2*memoSweepAge)
	}

	const broken = "request.method == "
	if _, err := compiledExpressions.compile(env, broken); err == nil {
		t.Fatal("a broken expression compiled")
	}
	if _, err := compiledExpressions.compile(env, broken); err == nil {
		t.Fatal("a remembered broken expression compiled")
	}
}
