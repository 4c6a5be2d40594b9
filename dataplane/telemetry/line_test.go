package telemetry

import (
	"encoding/json"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLineIsJSON(t *testing.T) {
	t.Parallel()
	var l Line
	l.reset(time.Date(2025, 3, 4, 5, 6, 7, 891_234_567, time.FixedZone("CET", 3600)))
	l.String("route", "httproute/ns/name/rule/0/match/0")
	l.Bytes("path", []byte("/a\"b\\c"))
	l.Int("status", 503)
	l.Millis("duration_ms", 1234567*time.Nanosecond)
	l.AddrPort("client", netip.MustParseAddrPort("[2001:db8::1]:443"))
	l.AddrPort("missing", netip.AddrPort{})
	l.NamespacedName("key", "ns", "alice")
	l.NamespacedName("name", "", "bob")
	l.buf = append(l.buf, '}')

	var got map[string]any
	if err := json.Unmarshal(l.buf, &got); err != nil {
		t.Fatalf("%s is not JSON: %v", l.buf, err)
	}
	want := map[string]any{
		// RFC 3339 with milliseconds, in UTC.
		"time":        "2025-03-04T04:06:07.891Z",
		"route":       "httproute/ns/name/rule/0/match/0",
		"path":        "/a\"b\\c",
		"status":      float64(503),
		"duration_ms": 1.235,
		"client":      "[2001:db8::1]:443",
		"key":         "ns/alice",
		"name":        "bob",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("line (-want +got):\n%s", diff)
	}
}

func TestMillis(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0.000"}, {499 * time.Nanosecond, "0.000"}, {500 * time.Nanosecond, "0.001"},
		{time.Microsecond, "0.001"}, {12 * time.Microsecond, "0.012"}, {999_499 * time.Nanosecond, "0.999"},
		{999_500 * time.Nanosecond, "1.000"}, {1_234_567 * time.Nanosecond, "1.235"},
		{90 * time.Second, "90000.000"}, {-1500 * time.Microsecond, "-1.500"},
	}
	for _, tc := range tests {
		var l Line
		l.Millis("d", tc.d)
		if got, want := string(l.buf), `,"d":`+tc.want; got != want {
			t.Errorf("Millis(%v) = %s, want %s", tc.d, got, want)
		}
	}
}

// TestAppendTimeMatchesTheLayout compares appendTime with the time package over
// instants that exercise every field and the rounding of nanoseconds down.
func TestAppendTimeMatchesTheLayout(t *testing.T) {
	t.Parallel()
	instants := []time.Time{
		time.Unix(0, 0),
		time.Date(1999, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(2000, 2, 29, 0, 0, 0, 1_000_000, time.FixedZone("X", -7*3600)),
		time.Date(2025, 3, 4, 5, 6, 7, 891_234_567, time.FixedZone("CET", 3600)),
		time.Date(9999, 1, 1, 12, 0, 0, 0, time.UTC),
		time.Now(),
	}
	for i := range 200 {
		instants = append(instants, time.Unix(int64(i)*987_654_321, int64(i)*4_999_999))
	}
	for _, ts := range instants {
		want := ts.UTC().Format("2006-01-02T15:04:05.000Z07:00")
		if got := string(appendTime(nil, ts)); got != want {
			t.Errorf("appendTime(%v) = %s, want %s", ts, got, want)
		}
	}
}
