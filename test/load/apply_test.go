package main

import (
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	t.Parallel()
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[len(hundred)-1-i] = time.Duration(i+1) * time.Millisecond // 100ms down to 1ms
	}
	tests := []struct {
		name    string
		samples []time.Duration
		q       float64
		want    time.Duration
	}{
		{name: "none", samples: nil, q: 0.99, want: 0},
		{name: "one", samples: []time.Duration{5}, q: 0.5, want: 5},
		{name: "p50 of 100 is the 50th", samples: hundred, q: 0.50, want: 50 * time.Millisecond},
		{name: "p90 of 100 is the 90th", samples: hundred, q: 0.90, want: 90 * time.Millisecond},
		{name: "p99 of 100 is the 99th, not the max", samples: hundred, q: 0.99, want: 99 * time.Millisecond},
		{name: "max", samples: hundred, q: 1, want: 100 * time.Millisecond},
		{name: "p99 of 10 is the max", samples: hundred[90:], q: 0.99, want: 10 * time.Millisecond},
	}
	for _, test := range tests {
		before := append([]time.Duration(nil), test.samples...)
		if got := percentile(test.samples, test.q); got != test.want {
			t.Errorf("%s: percentile(q=%v) = %v, want %v", test.name, test.q, got, test.want)
		}
		for i := range before {
			if before[i] != test.samples[i] {
				t.Fatalf("%s: percentile reordered its input", test.name)
			}
		}
	}
}

func TestHTTPRouteGoesToTheMissingService(t *testing.T) {
	t.Parallel()
	route := httpRoute("new-3", "/new/3")
	if route.Namespace != configNamespace || route.Name != "new-3" {
		t.Errorf("route is %s/%s", route.Namespace, route.Name)
	}
	if parents := route.Spec.ParentRefs; len(parents) != 1 || parents[0].Name != gatewayName {
		t.Errorf("parentRefs %+v, want the %s Gateway", parents, gatewayName)
	}
	rule := route.Spec.Rules[0]
	if got := *rule.Matches[0].Path.Value; got != "/new/3" {
		t.Errorf("path %q, want /new/3", got)
	}
	if got := rule.BackendRefs[0].Name; got != missingService {
		t.Errorf("backend %q, want the missing Service", got)
	}
}

func TestPrintApplyReport(t *testing.T) {
	t.Parallel()
	var toTraffic []time.Duration
	for i := range 100 {
		toTraffic = append(toTraffic, time.Duration(i+1)*time.Millisecond)
	}
	var out strings.Builder
	printApplyReport(&out, "a test machine", applySettings{routes: 1000, changes: 100}, 3*time.Second, toTraffic, []time.Duration{time.Millisecond})
	for _, want := range []string{
		"machine: a test machine",
		"1,000 HTTPRoutes created and serving 3s",
		"p50 50.0ms  p90 90.0ms  p99 99.0ms  max 100.0ms  (n=100)",
		"p99 99.0ms < 1s: met",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}
