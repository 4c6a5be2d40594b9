package main

import (
	"net/netip"
	"testing"

	"k8s.io/apimachinery/pkg/types"
)

func TestIPAM(t *testing.T) {
	t.Parallel()
	a, err := newIPAM(netip.MustParsePrefix("10.244.0.0/30"))
	if err != nil {
		t.Fatal(err)
	}
	first, err := a.allocate("a")
	if err != nil || first.String() != "10.244.0.1" {
		t.Fatalf("first address %s (%v), want 10.244.0.1", first, err)
	}
	if again, _ := a.allocate("a"); again != first {
		t.Errorf("a Pod asking again got %s, want its address %s", again, first)
	}
	second, err := a.allocate("b")
	if err != nil || second.String() != "10.244.0.2" {
		t.Fatalf("second address %s (%v), want 10.244.0.2", second, err)
	}
	if ip, err := a.allocate("c"); err == nil {
		t.Fatalf("a /30 gave a third address %s; the broadcast address must not be used", ip)
	}
	a.release("a")
	if reused, err := a.allocate(types.UID("c")); err != nil || reused != first {
		t.Errorf("after a release got %s (%v), want the freed %s", reused, err, first)
	}
	for _, bad := range []string{"10.244.0.0/31", "2001:db8::/64", "10.244.0.1/16"} {
		if _, err := newIPAM(netip.MustParsePrefix(bad)); err == nil {
			t.Errorf("newIPAM(%s) accepted an unusable pod CIDR", bad)
		}
	}
}
