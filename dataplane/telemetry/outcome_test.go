package telemetry

import "testing"

func TestOutcomeNamesAreDistinctSlugs(t *testing.T) {
	t.Parallel()
	seen := map[string]Outcome{}
	for _, o := range Outcomes() {
		name := o.String()
		if name == "" || name == "unknown" {
			t.Errorf("outcome %d has no name", o)
		}
		if prev, dup := seen[name]; dup {
			t.Errorf("outcomes %d and %d are both %q", prev, o, name)
		}
		seen[name] = o
	}
	if got := Outcome(200).String(); got != "unknown" {
		t.Errorf("an out-of-range outcome is %q, want unknown", got)
	}
}

func TestMethodOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method string
		want   string
	}{
		{"GET", "GET"}, {"HEAD", "HEAD"}, {"POST", "POST"}, {"PUT", "PUT"}, {"DELETE", "DELETE"},
		{"CONNECT", "CONNECT"}, {"OPTIONS", "OPTIONS"}, {"TRACE", "TRACE"}, {"PATCH", "PATCH"},
		// Methods are case-sensitive, and invented ones must not become series.
		{"get", "other"}, {"PROPFIND", "other"}, {"", "other"},
	}
	for _, tc := range tests {
		if got := MethodOf([]byte(tc.method)).String(); got != tc.want {
			t.Errorf("MethodOf(%q) = %s, want %s", tc.method, got, tc.want)
		}
	}
	if got := MethodUnknown.String(); got != "unknown" {
		t.Errorf("MethodUnknown is %q", got)
	}
}

func TestClassOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status int
		want   string
	}{
		{0, "1xx"}, {100, "1xx"}, {101, "1xx"}, {199, "1xx"},
		{200, "2xx"}, {204, "2xx"}, {299, "2xx"},
		{301, "3xx"}, {399, "3xx"},
		{400, "4xx"}, {404, "4xx"}, {429, "4xx"}, {499, "4xx"},
		{500, "5xx"}, {503, "5xx"}, {599, "5xx"}, {600, "5xx"}, {999, "5xx"},
	}
	for _, tc := range tests {
		if got := ClassOf(tc.status).String(); got != tc.want {
			t.Errorf("ClassOf(%d) = %s, want %s", tc.status, got, tc.want)
		}
	}
}
