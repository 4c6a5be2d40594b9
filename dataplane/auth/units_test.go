package auth

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDecodeObjectNumbers(t *testing.T) {
	t.Parallel()
	got, err := decodeObject([]byte(`{"i":42,"neg":-7,"f":1.5,"e":1e3,"huge":123456789012345678901234567890,
		"nested":{"n":[1,2.5,{"deep":3}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"i": int64(42), "neg": int64(-7), "f": 1.5, "e": 1000.0, "huge": 1.2345678901234568e29,
		"nested": map[string]any{"n": []any{int64(1), 2.5, map[string]any{"deep": int64(3)}}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decoded (-want +got):\n%s", diff)
	}
	for _, bad := range []string{`null`, `[]`, `"s"`, `{"a":1} {"b":2}`, `{"a":`, ``} {
		if _, err := decodeObject([]byte(bad)); err == nil {
			t.Errorf("decodeObject(%q) succeeded", bad)
		}
	}
}

func TestNumericDate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   any
		want time.Time
	}{
		{int64(1700000000), time.Unix(1700000000, 0)},
		{1700000000.5, time.Unix(1700000000, 500000000)},
		{math.MaxFloat64, time.Unix(maxNumericDate, 0)},
		{int64(math.MinInt64), time.Unix(-maxNumericDate, 0)},
	} {
		got, err := numericDate(tt.in)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("numericDate(%v) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []any{"1700000000", true, nil, math.NaN()} {
		if _, err := numericDate(bad); err == nil {
			t.Errorf("numericDate(%v) succeeded", bad)
		}
	}
}

func TestCutScheme(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		value, scheme, want string
		ok                  bool
	}{
		{"Bearer abc", "Bearer", "abc", true},
		{"bearer abc", "Bearer", "abc", true},
		{"Bearer\tabc", "Bearer", "abc", true},
		{"Bearerabc", "Bearer", "", false},
		{"Bearer", "Bearer", "", false},
		{"Basic abc", "Bearer", "", false},
		{"abc", "", "abc", true},
	} {
		got, ok := cutScheme([]byte(tt.value), tt.scheme)
		if ok != tt.ok || string(trimSpace(got)) != tt.want {
			t.Errorf("cutScheme(%q, %q) = %q, %v; want %q, %v", tt.value, tt.scheme, got, ok, tt.want, tt.ok)
		}
	}
}

func TestQuote(t *testing.T) {
	t.Parallel()
	if got := quote(`a"b\c`); got != `"a\"b\\c"` {
		t.Errorf("quote = %s", got)
	}
}

// TestCacheKeepsWhatIsUsed: the cache holds at most its bound, drops the
// oldest generation when full, and keeps entries that are read.
func TestCacheKeepsWhatIsUsed(t *testing.T) {
	t.Parallel()
	c := newCache[int](4) // two generations of two
	key := func(i int) digest { return digest{byte(i)} }
	c.put(key(1), 1)
	c.put(key(2), 2)
	c.put(key(3), 3) // young {3}, old {1, 2}
	if v, ok := c.get(key(1)); !ok || v != 1 {
		t.Fatalf("entry 1 lost too early")
	} // young {3, 1}
	c.put(key(4), 4) // young {4}, old {3, 1}; 2 is gone
	if _, ok := c.get(key(2)); ok {
		t.Error("entry 2 outlived two generations")
	}
	for _, i := range []int{1, 3, 4} {
		if _, ok := c.get(key(i)); !ok {
			t.Errorf("entry %d lost", i)
		}
	}
	if n := c.len(); n > 4 {
		t.Errorf("cache holds %d entries, bound 4", n)
	}
}
