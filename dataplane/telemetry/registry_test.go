package telemetry

import (
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var (
	shopKey  = RouteKey{Gateway: "infra/web", Route: "httproute/shop/store", Rule: "0"}
	adminKey = RouteKey{Gateway: "infra/web", Route: "httproute/shop/admin", Rule: "1"}
)

func TestRegistryKeepsMetricsAcrossSnapshotsByIdentity(t *testing.T) {
	t.Parallel()
	r := NewRegistry()
	b := r.NewBuilder()
	shop := b.Route(shopKey)
	if again := b.Route(shopKey); again != shop {
		t.Fatal("two matches of one rule got different metrics")
	}
	admin := b.Route(adminKey)
	cart := b.Backend(BackendKey{RouteKey: shopKey, Backend: "shop/cart:80"})
	b.Commit()
	shop.Requests.Add(Forwarded, MethodGet, ClassOf(200))
	cart.Requests.Add(Forwarded, MethodPost, ClassOf(201))

	// The next snapshot keeps the shop rule and its backend, and drops admin.
	b = r.NewBuilder()
	if got := b.Route(shopKey); got != shop {
		t.Error("a rule that stayed lost its metrics")
	}
	if got := b.Backend(BackendKey{RouteKey: shopKey, Backend: "shop/cart:80"}); got != cart {
		t.Error("a backend that stayed lost its metrics")
	}
	b.Commit()
	admin.Requests.Add(NoRoute, MethodGet, ClassOf(404)) // in flight on the old snapshot: lost

	// And the one after keeps the shop rule without its backend, and brings
	// admin back, from zero.
	b = r.NewBuilder()
	b.Route(shopKey)
	if got := b.Route(adminKey); got == admin {
		t.Error("a rule that left and came back kept its old metrics")
	}
	b.Commit()

	got := r.Stats().Requests
	want := []RequestCount{
		{BackendKey: BackendKey{RouteKey: shopKey, Backend: ""}, Method: MethodGet, Class: 1, Outcome: Forwarded, Count: 1},
	}
	// The shop rule's backend left with the last snapshot; admin is at zero.
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestRegistryUnattributedIsPermanent(t *testing.T) {
	t.Parallel()
	r := NewRegistry()
	u := r.Unattributed()
	b := r.NewBuilder()
	if got := b.Route(RouteKey{}); got != u {
		t.Error("the zero key is not the unattributed metrics")
	}
	b.Commit()
	r.NewBuilder().Commit()
	u.Requests.Add(BadRequest, MethodUnknown, ClassOf(400))
	got := r.Stats().Requests
	if len(got) != 1 || got[0].Outcome != BadRequest || got[0].Method != MethodUnknown || got[0].Count != 1 {
		t.Errorf("unattributed requests after two snapshots: %+v", got)
	}
}

func TestStatsListOnlyWhatSawRequestsSorted(t *testing.T) {
	t.Parallel()
	r := NewRegistry()
	b := r.NewBuilder()
	shop, admin := b.Route(shopKey), b.Route(adminKey)
	idle := b.Route(RouteKey{Gateway: "infra/web", Route: "httproute/shop/idle", Rule: "0"})
	cart := b.Backend(BackendKey{RouteKey: shopKey, Backend: "shop/cart:80"})
	b.Commit()
	_ = idle

	shop.Requests.Add(RateLimited, MethodPost, ClassOf(429))
	shop.Observe(time.Millisecond, time.Millisecond, 0, 10)
	shop.Observe(3*time.Millisecond, time.Millisecond, 0, 0)
	cart.Requests.Add(Forwarded, MethodGet, ClassOf(200))
	cart.Requests.Add(Forwarded, MethodGet, ClassOf(200))
	cart.ObserveUpstream(2 * time.Millisecond)
	admin.Requests.Add(AuthDenied, MethodGet, ClassOf(401))
	admin.Observe(time.Microsecond, time.Microsecond, 0, 0)

	s := r.Stats()
	wantRequests := []RequestCount{
		{BackendKey: BackendKey{RouteKey: adminKey}, Method: MethodGet, Class: 3, Outcome: AuthDenied, Count: 1},
		{BackendKey: BackendKey{RouteKey: shopKey}, Method: MethodPost, Class: 3, Outcome: RateLimited, Count: 1},
		{BackendKey: BackendKey{RouteKey: shopKey, Backend: "shop/cart:80"}, Method: MethodGet, Class: 1, Outcome: Forwarded, Count: 2},
	}
	if diff := cmp.Diff(wantRequests, s.Requests); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if len(s.Durations) != 2 || s.Durations[0].RouteKey != adminKey || s.Durations[1].RouteKey != shopKey || s.Durations[1].Count != 2 {
		t.Errorf("durations: %+v", s.Durations)
	}
	if len(s.Overheads) != 2 || s.Overheads[1].Cumulative[3] != 2 {
		t.Errorf("overheads: %+v", s.Overheads)
	}
	if len(s.Upstreams) != 1 || s.Upstreams[0].Backend != "shop/cart:80" || s.Upstreams[0].Count != 1 {
		t.Errorf("upstreams: %+v", s.Upstreams)
	}
	if diff := cmp.Diff([]ByteCount{{RouteKey: shopKey, Response: 10}}, s.Bytes); diff != "" {
		t.Errorf("bytes (-want +got):\n%s", diff)
	}
}

func TestNilRegistryIsOff(t *testing.T) {
	t.Parallel()
	var r *Registry
	b := r.NewBuilder()
	if b.Route(shopKey) != nil || b.Backend(BackendKey{RouteKey: shopKey}) != nil || r.Unattributed() != nil {
		t.Error("a nil registry handed out metrics")
	}
	b.Commit()
	if s := r.Stats(); len(s.Requests)+len(s.Durations)+len(s.Bytes) != 0 {
		t.Errorf("a nil registry reported %+v", s)
	}
}

// TestRequestsConcurrentFirstUse runs under -race in CI: requests that race to
// create an outcome's cells, or a route's histograms, all count.
func TestRequestsConcurrentFirstUse(t *testing.T) {
	t.Parallel()
	r := NewRegistry()
	b := r.NewBuilder()
	m := b.Route(shopKey)
	b.Commit()
	be := b.Backend(BackendKey{RouteKey: shopKey, Backend: "shop/cart:80"})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 500 {
				be.Requests.Add(UpstreamTimeout, MethodGet, ClassOf(504))
				be.ObserveUpstream(time.Second)
				m.Observe(time.Second, time.Millisecond, 1, 2)
			}
		})
	}
	wg.Go(func() {
		for range 50 {
			_ = r.Stats()
		}
	})
	wg.Wait()
	s := r.Stats()
	if len(s.Requests) != 1 || s.Requests[0].Count != 4000 {
		t.Errorf("requests: %+v, want one series of 4000", s.Requests)
	}
	if len(s.Durations) != 1 || s.Durations[0].Count != 4000 || len(s.Upstreams) != 1 || s.Upstreams[0].Count != 4000 {
		t.Errorf("histograms: %+v %+v, want one each of 4000", s.Durations, s.Upstreams)
	}
	if len(s.Bytes) != 1 || s.Bytes[0].Request != 4000 || s.Bytes[0].Response != 8000 {
		t.Errorf("bytes: %+v", s.Bytes)
	}
}
