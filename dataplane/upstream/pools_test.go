package upstream

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

func TestSweepClosesRetiredEndpointsOnlyWhenIdle(t *testing.T) {
	t.Parallel()
	addr, received, release := holdBackend(t)
	pools := NewPools(PoolOptions{})
	busy := endpointFor(t, pools, addr) // the snapshot names only addr

	done := make(chan Outcome, 1)
	go func() {
		outcome, _ := busy.Forward(newCtx(t, "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n"))
		done <- outcome
	}()
	<-received

	// A new snapshot no longer names addr: it is retired, but a request is in
	// flight on it, so Sweep must keep it.
	other := &snapshot.Route{ID: "r", Backends: []*snapshot.Backend{backend("ns/b:80", 1, 9009)}}
	pools.Targets([]*snapshot.Route{other})
	if closed := pools.Sweep(); closed != 0 {
		t.Errorf("Sweep closed %d endpoints while a request was in flight", closed)
	}
	if diff := cmp.Diff([]string{addr, "127.0.0.1:9009"}, pools.Addresses()); diff != "" {
		t.Errorf("addresses during the request (-want +got):\n%s", diff)
	}

	release()
	if outcome := <-done; outcome != OK {
		t.Fatalf("in-flight request outcome = %v, want OK", outcome)
	}
	if closed := pools.Sweep(); closed != 1 {
		t.Errorf("Sweep closed %d endpoints after the request, want 1", closed)
	}
	if diff := cmp.Diff([]string{"127.0.0.1:9009"}, pools.Addresses()); diff != "" {
		t.Errorf("addresses after the sweep (-want +got):\n%s", diff)
	}
}
