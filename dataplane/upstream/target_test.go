package upstream

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

func backend(name string, weight int32, ports ...int32) *snapshot.Backend {
	b := &snapshot.Backend{Name: name, Weight: weight}
	for _, p := range ports {
		b.Endpoints = append(b.Endpoints, snapshot.Endpoint{IP: "127.0.0.1", Port: p})
	}
	return b
}

func TestPickOutcomes(t *testing.T) {
	t.Parallel()
	invalid := backend("ns/invalid:80", 1, 9001)
	invalid.Invalid = "Service ns/invalid does not exist."
	tests := []struct {
		name        string
		backends    []*snapshot.Backend
		wantOutcome Outcome
		wantBackend string
	}{
		{"no backends", nil, NoValidBackend, ""},
		{"all weights zero", []*snapshot.Backend{backend("ns/a:80", 0, 9001), backend("ns/b:80", 0, 9002)}, NoValidBackend, ""},
		{"invalid backend", []*snapshot.Backend{invalid}, NoValidBackend, "ns/invalid:80"},
		{"no endpoints", []*snapshot.Backend{backend("ns/empty:80", 1)}, NoReadyEndpoints, "ns/empty:80"},
		{"zero weight is skipped", []*snapshot.Backend{backend("ns/zero:80", 0), backend("ns/ok:80", 5, 9001)}, OK, "ns/ok:80"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			route := &snapshot.Route{ID: "r", Backends: tc.backends}
			target := NewPools(PoolOptions{}).Targets([]*snapshot.Route{route}).For(route)
			for range 50 {
				ep, b, outcome := target.Pick()
				if outcome != tc.wantOutcome {
					t.Fatalf("outcome = %v, want %v", outcome, tc.wantOutcome)
				}
				gotName := ""
				if b != nil {
					gotName = b.Name
				}
				if gotName != tc.wantBackend {
					t.Fatalf("backend = %q, want %q", gotName, tc.wantBackend)
				}
				if (ep != nil) != (outcome == OK) {
					t.Fatalf("endpoint %v with outcome %v", ep, outcome)
				}
			}
		})
	}
}

func TestPickUnknownRoute(t *testing.T) {
	t.Parallel()
	targets := NewPools(PoolOptions{}).Targets([]*snapshot.Route{})
	if _, _, outcome := targets.For(&snapshot.Route{ID: "elsewhere"}).Pick(); outcome != NoValidBackend {
		t.Errorf("outcome = %v, want NoValidBackend", outcome)
	}
}

func TestPickRoundRobinAcrossEndpoints(t *testing.T) {
	t.Parallel()
	shared := backend("ns/svc:80", 1, 9001, 9002, 9003)
	// Two matches of one rule share the backend and therefore the cursor.
	first := &snapshot.Route{ID: "match/0", Backends: []*snapshot.Backend{shared}}
	second := &snapshot.Route{ID: "match/1", Backends: []*snapshot.Backend{shared}}
	targets := NewPools(PoolOptions{}).Targets([]*snapshot.Route{first, second})

	var got []string
	for i := range 7 {
		route := first
		if i%2 == 1 {
			route = second
		}
		ep, _, outcome := targets.For(route).Pick()
		if outcome != OK {
			t.Fatalf("outcome = %v", outcome)
		}
		got = append(got, ep.Address())
	}
	want := []string{
		"127.0.0.1:9001", "127.0.0.1:9002", "127.0.0.1:9003",
		"127.0.0.1:9001", "127.0.0.1:9002", "127.0.0.1:9003", "127.0.0.1:9001",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("endpoint sequence (-want +got):\n%s", diff)
	}
}

func TestPickRespectsWeights(t *testing.T) {
	t.Parallel()
	route := &snapshot.Route{ID: "r", Backends: []*snapshot.Backend{
		backend("ns/heavy:80", 3, 9001),
		backend("ns/never:80", 0, 9002),
		backend("ns/light:80", 1, 9003),
	}}
	target := NewPools(PoolOptions{}).Targets([]*snapshot.Route{route}).For(route)
	const draws = 20000
	counts := map[string]int{}
	for range draws {
		_, b, outcome := target.Pick()
		if outcome != OK {
			t.Fatalf("outcome = %v", outcome)
		}
		counts[b.Name]++
	}
	if counts["ns/never:80"] != 0 {
		t.Errorf("a zero-weight backend was chosen %d times", counts["ns/never:80"])
	}
	// Expected share 0.75; the bounds are dozens of standard deviations wide so
	// that the test cannot flake, yet catch a uniform (0.5) or inverted choice.
	if share := float64(counts["ns/heavy:80"]) / draws; share < 0.70 || share > 0.80 {
		t.Errorf("heavy backend share = %.3f, want about 0.75 (counts %v)", share, counts)
	}
}

func TestTargetsReuseEndpointsAcrossSnapshots(t *testing.T) {
	t.Parallel()
	pools := NewPools(PoolOptions{})
	before := &snapshot.Route{ID: "r", Backends: []*snapshot.Backend{backend("ns/a:80", 1, 9001)}}
	after := &snapshot.Route{ID: "r", Backends: []*snapshot.Backend{backend("ns/a:80", 1, 9001, 9002)}}

	epBefore, _, _ := pools.Targets([]*snapshot.Route{before}).For(before).Pick()
	epAfter, _, _ := pools.Targets([]*snapshot.Route{after}).For(after).Pick()
	if epBefore != epAfter {
		t.Error("the same address got a new pool in the next snapshot")
	}
	if diff := cmp.Diff([]string{"127.0.0.1:9001", "127.0.0.1:9002"}, pools.Addresses()); diff != "" {
		t.Errorf("addresses (-want +got):\n%s", diff)
	}
}
