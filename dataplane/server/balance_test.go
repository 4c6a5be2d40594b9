package server

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWeightsAreRoughlyRespected(t *testing.T) {
	t.Parallel()
	heavy, light, never := startBackend(t, "heavy"), startBackend(t, "light"), startBackend(t, "never")
	l := listener(1, routeTo("split", prefixPath("/"),
		ref("ns/heavy:80", 4, heavy),
		ref("ns/never:80", 0, never),
		ref("ns/light:80", 1, light),
	))
	p := newPorts()
	dp, _ := startDataPlane(t, p, Options{})
	mustPublish(t, dp, snap(1, l))
	addr := p.addr(t, l.Key())
	client := newHTTPClient(t)

	const requests = 500
	counts := map[string]int{}
	for range requests {
		resp := get(t, client, addr, "a.test", "/")
		if resp.status != 200 {
			t.Fatalf("status %d: %s", resp.status, resp.body)
		}
		counts[resp.backend]++
	}
	if counts["never"] != 0 {
		t.Errorf("the zero-weight backend got %d requests", counts["never"])
	}
	// Expected share 0.8 with a standard deviation under 0.02: the bounds cannot
	// flake, yet catch a uniform split (0.5) or inverted weights (0.2).
	if share := float64(counts["heavy"]) / requests; share < 0.65 || share > 0.92 {
		t.Errorf("heavy share = %.2f, want about 0.8 (counts %v)", share, counts)
	}
}

func TestRoundRobinAcrossEndpoints(t *testing.T) {
	t.Parallel()
	e1, e2, e3 := startBackend(t, "e1"), startBackend(t, "e2"), startBackend(t, "e3")
	l := listener(1, routeTo("rr", prefixPath("/"), ref("ns/svc:80", 1, e1, e2, e3)))
	p := newPorts()
	dp, _ := startDataPlane(t, p, Options{})
	mustPublish(t, dp, snap(1, l))
	addr := p.addr(t, l.Key())
	client := newHTTPClient(t)

	var got []string
	for range 9 {
		got = append(got, get(t, client, addr, "a.test", "/").backend)
	}
	want := []string{"e1", "e2", "e3", "e1", "e2", "e3", "e1", "e2", "e3"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("endpoint order (-want +got):\n%s", diff)
	}
}
