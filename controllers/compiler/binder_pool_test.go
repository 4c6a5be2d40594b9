package compiler

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// poolGateway is a Gateway created age minutes after a fixed instant, with the given
// spec.addresses and status addresses.
func poolGateway(name string, age int, spec []gwapiv1.GatewaySpecAddress, status ...string) *gwapiv1.Gateway {
	gw := &gwapiv1.Gateway{ObjectMeta: metav1.ObjectMeta{
		Name: name, Namespace: "default", UID: types.UID("uid-" + name),
		CreationTimestamp: metav1.NewTime(time.Date(2025, 1, 1, 0, age, 0, 0, time.UTC)),
	}}
	gw.Spec.Addresses = spec
	for _, value := range status {
		gw.Status.Addresses = append(gw.Status.Addresses, statusIP(value))
	}
	return gw
}

// staticList is a Gateway lister over a fixed list.
func staticList(gateways ...*gwapiv1.Gateway) func() ([]*gwapiv1.Gateway, error) {
	return func() ([]*gwapiv1.Gateway, error) { return gateways, nil }
}

func mustPoolBinder(t *testing.T, cidr string, list func() ([]*gwapiv1.Gateway, error)) *PoolBinder {
	t.Helper()
	b, err := NewPoolBinder(netip.MustParsePrefix(cidr), list)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// bindAll binds every Gateway (in the order given) and returns each one's address,
// or the reason it has none.
func bindAll(t *testing.T, b *PoolBinder, gateways ...*gwapiv1.Gateway) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, gw := range gateways {
		binding, bindErr := b.Bind(gw)
		if bindErr != nil {
			if bindErr.Message == "" {
				t.Errorf("Gateway %s: %s without a message", gw.Name, bindErr.Reason)
			}
			out[gw.Name] = string(bindErr.Reason)
			continue
		}
		if len(binding.Addresses) != 1 || binding.Addresses[0].Value != binding.IP ||
			*binding.Addresses[0].Type != gwapiv1.IPAddressType {
			t.Errorf("Gateway %s: binding %+v must publish exactly the bound IP", gw.Name, binding)
		}
		out[gw.Name] = binding.IP
	}
	return out
}

func TestNewPoolBinder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cidr        string
		first, last string
		wantErr     bool
	}{
		{cidr: "10.250.0.0/16", first: "10.250.0.1", last: "10.250.255.254"},
		{cidr: "192.0.2.8/30", first: "192.0.2.9", last: "192.0.2.10"},
		{cidr: "192.0.2.8/31", first: "192.0.2.8", last: "192.0.2.9"},
		{cidr: "192.0.2.8/32", first: "192.0.2.8", last: "192.0.2.8"},
		{cidr: "2001:db8::/64", first: "2001:db8::1", last: "2001:db8::3fff:ffff:ffff:ffff"},
		{cidr: "2001:db8::/126", first: "2001:db8::1", last: "2001:db8::3"},
		{cidr: "10.250.0.1/16", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.cidr, func(t *testing.T) {
			t.Parallel()
			b, err := NewPoolBinder(netip.MustParsePrefix(tt.cidr), staticList())
			if tt.wantErr {
				if err == nil {
					t.Fatalf("NewPoolBinder(%s) accepted a pool with host bits set", tt.cidr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			first, last := b.addressAt(0), b.addressAt(b.size-1)
			if first.String() != tt.first || last.String() != tt.last {
				t.Errorf("assignable range %s-%s, want %s-%s", first, last, tt.first, tt.last)
			}
			if !b.assignable(first) || !b.assignable(last) || b.assignable(first.Prev()) || b.assignable(last.Next()) {
				t.Errorf("assignable() disagrees with the range %s-%s", first, last)
			}
		})
	}
	if _, err := NewPoolBinder(netip.Prefix{}, staticList()); err == nil {
		t.Error("NewPoolBinder accepted an invalid prefix")
	}
	if _, err := NewPoolBinder(netip.MustParsePrefix("10.0.0.0/8"), nil); err == nil {
		t.Error("NewPoolBinder accepted a nil Gateway lister")
	}
}

// TestPoolBinderRequests covers what spec.addresses may ask for.
func TestPoolBinderRequests(t *testing.T) {
	t.Parallel()
	ip := func(value string) gwapiv1.GatewaySpecAddress { return specAddress(gwapiv1.IPAddressType, value) }
	tests := []struct {
		name      string
		addresses []gwapiv1.GatewaySpecAddress
		want      string // an IP, "pool" for any pool address, or a condition reason
	}{
		{name: "no address is assigned one from the pool", want: "pool"},
		{name: "an empty IPAddress asks for one from the pool", addresses: []gwapiv1.GatewaySpecAddress{ip("")}, want: "pool"},
		{name: "an untyped address is an IPAddress", addresses: []gwapiv1.GatewaySpecAddress{specAddress("", "10.250.7.7")}, want: "10.250.7.7"},
		{name: "a static address in the pool", addresses: []gwapiv1.GatewaySpecAddress{ip("10.250.7.7")}, want: "10.250.7.7"},
		{name: "a static address outside the pool is left to the data plane to bind", addresses: []gwapiv1.GatewaySpecAddress{ip("192.0.2.1")}, want: "192.0.2.1"},
		{name: "IPv6 is normalised", addresses: []gwapiv1.GatewaySpecAddress{ip("2001:DB8::1")}, want: "2001:db8::1"},
		{
			name:      "an unsupported type is reported before anything else",
			addresses: []gwapiv1.GatewaySpecAddress{specAddress("test/fake-invalid-type", "x"), ip("192.0.2.1"), ip("10.250.7.7")},
			want:      string(gwapiv1.GatewayReasonUnsupportedAddress),
		},
		{name: "a hostname is unsupported", addresses: []gwapiv1.GatewaySpecAddress{specAddress(gwapiv1.HostnameAddressType, "gw.example.com")}, want: string(gwapiv1.GatewayReasonUnsupportedAddress)},
		{name: "an invalid IP is not usable", addresses: []gwapiv1.GatewaySpecAddress{ip("10.250.0.256")}, want: string(gwapiv1.GatewayReasonAddressNotUsable)},
		{name: "a zone is not usable", addresses: []gwapiv1.GatewaySpecAddress{ip("fe80::1%lo")}, want: string(gwapiv1.GatewayReasonAddressNotUsable)},
		{
			name:      "two addresses cannot both be bound",
			addresses: []gwapiv1.GatewaySpecAddress{ip("192.0.2.1"), ip("10.250.7.7")},
			want:      string(gwapiv1.GatewayReasonAddressNotUsable),
		},
		{
			name:      "a static and a pool address cannot both be bound",
			addresses: []gwapiv1.GatewaySpecAddress{ip(""), ip("10.250.7.7")},
			want:      string(gwapiv1.GatewayReasonAddressNotUsable),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gw := poolGateway("gw", 0, tt.addresses)
			got := bindAll(t, mustPoolBinder(t, "10.250.0.0/16", staticList(gw)), gw)["gw"]
			if tt.want == "pool" {
				if ip, err := netip.ParseAddr(got); err != nil || !netip.MustParsePrefix("10.250.0.0/16").Contains(ip) {
					t.Fatalf("got %q, want an address of the pool", got)
				}
				return
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestPoolBinderDeterministic: any binder (another replica, or this one after a
// restart) gives the same addresses for the same Gateways, whatever the order of
// the list and of the Bind calls.
func TestPoolBinderDeterministic(t *testing.T) {
	t.Parallel()
	var gateways []*gwapiv1.Gateway
	for i := range 20 {
		gateways = append(gateways, poolGateway(fmt.Sprintf("gw-%02d", i), i%3, nil))
	}
	// A /27 has 30 addresses for 20 Gateways: hashes collide.
	want := bindAll(t, mustPoolBinder(t, "10.250.0.0/27", staticList(gateways...)), gateways...)
	seen := map[string]string{}
	for name, ip := range want {
		if other, dup := seen[ip]; dup {
			t.Fatalf("Gateways %s and %s were both given %s", other, name, ip)
		}
		seen[ip] = name
	}
	for round := range 5 {
		shuffledList := slices.Clone(gateways)
		slices.Reverse(shuffledList)
		shuffledList = append(shuffledList[round:], shuffledList[:round]...)
		got := bindAll(t, mustPoolBinder(t, "10.250.0.0/27", staticList(shuffledList...)), shuffledList...)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("round %d: addresses depend on order (-first +again):\n%s", round, diff)
		}
	}
}

// TestPoolBinderFull: past the pool's size, Gateways are told the pool is full,
// and the older ones keep their addresses.
func TestPoolBinderFull(t *testing.T) {
	t.Parallel()
	a, b2, c := poolGateway("a", 0, nil), poolGateway("b", 1, nil), poolGateway("c", 2, nil)
	got := bindAll(t, mustPoolBinder(t, "192.0.2.0/30", staticList(a, b2, c)), c, b2, a)
	if got["c"] != string(gwapiv1.GatewayReasonAddressNotAssigned) {
		t.Errorf("the newest Gateway got %q, want AddressNotAssigned", got["c"])
	}
	if addresses := []string{got["a"], got["b"]}; !slices.Contains(addresses, "192.0.2.1") || !slices.Contains(addresses, "192.0.2.2") {
		t.Errorf("the two oldest Gateways got %v, want the two addresses of the pool", addresses)
	}
}

// TestPoolBinderKeepsAddresses: an address, once given, stays with its Gateway when
// others come and go, in this process and (through status) in any other.
func TestPoolBinderKeepsAddresses(t *testing.T) {
	t.Parallel()
	list := []*gwapiv1.Gateway{}
	binder := mustPoolBinder(t, "192.0.2.0/29", func() ([]*gwapiv1.Gateway, error) { return list, nil })
	first := map[string]string{}
	// Gateways arrive one at a time, newest last, each compile binding all of them.
	for i := range 6 {
		list = append(list, poolGateway(fmt.Sprintf("gw-%d", i), i, nil))
		got := bindAll(t, binder, list...)
		for name, ip := range got {
			if before, ok := first[name]; ok && before != ip {
				t.Fatalf("after gw-%d arrived, %s moved from %s to %s", i, name, before, ip)
			}
			first[name] = ip
		}
	}
	// The oldest three go away; the others stay where they are.
	list = list[3:]
	for name, ip := range bindAll(t, binder, list...) {
		if first[name] != ip {
			t.Errorf("after deletions, %s moved from %s to %s", name, first[name], ip)
		}
	}
	// Another replica (or a restart) sees the status the leader wrote.
	var withStatus []*gwapiv1.Gateway
	for _, gw := range list {
		withStatus = append(withStatus, poolGateway(gw.Name, 0, nil, first[gw.Name]))
	}
	restarted := bindAll(t, mustPoolBinder(t, "192.0.2.0/29", staticList(withStatus...)), withStatus...)
	for name, ip := range restarted {
		if first[name] != ip {
			t.Errorf("after a restart, %s moved from %s to %s", name, first[name], ip)
		}
	}
}

// TestPoolBinderFollowsStatus: a replica whose own choice differs from what the
// leader published moves to the published address, unless an older Gateway holds it.
func TestPoolBinderFollowsStatus(t *testing.T) {
	t.Parallel()
	gw := poolGateway("gw", 1, nil)
	current := gw
	binder := mustPoolBinder(t, "192.0.2.0/29", func() ([]*gwapiv1.Gateway, error) { return []*gwapiv1.Gateway{current}, nil })
	own := bindAll(t, binder, gw)["gw"]
	published := "192.0.2.6"
	if own == published {
		published = "192.0.2.5"
	}
	current = poolGateway("gw", 1, nil, published)
	if got := bindAll(t, binder, current)["gw"]; got != published {
		t.Errorf("with status %s, the replica binds %s", published, got)
	}
	// An older Gateway holding that address wins; an address outside the pool in
	// status is not one the pool can give.
	older := poolGateway("older", 0, nil, published)
	other := poolGateway("gw", 1, nil, published, "203.0.113.9")
	got := bindAll(t, mustPoolBinder(t, "192.0.2.0/29", staticList(older, other)), other, older)
	if got["older"] != published || got["gw"] == published || got["gw"] == "203.0.113.9" {
		t.Errorf("got %v, want the older Gateway to keep %s and gw to get another pool address", got, published)
	}
}

// TestPoolBinderStaticConflicts: static requests share an address among
// themselves, never take one an older Gateway holds, and pool assignment steers
// around them.
func TestPoolBinderStaticConflicts(t *testing.T) {
	t.Parallel()
	static := func(value string) []gwapiv1.GatewaySpecAddress {
		return []gwapiv1.GatewaySpecAddress{specAddress(gwapiv1.IPAddressType, value)}
	}
	// A /30 has two addresses: the static Gateways take .1, the pool one gets .2.
	s1, s2 := poolGateway("s1", 1, static("192.0.2.1")), poolGateway("s2", 2, static("192.0.2.1"))
	dynamic := poolGateway("dynamic", 0, nil)
	got := bindAll(t, mustPoolBinder(t, "192.0.2.0/30", staticList(s1, s2, dynamic)), dynamic, s1, s2)
	want := map[string]string{"s1": "192.0.2.1", "s2": "192.0.2.1", "dynamic": "192.0.2.2"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// A newer static request for an address an older Gateway got from the pool is
	// refused; the older Gateway does not move.
	holder := poolGateway("holder", 0, nil, "192.0.2.2")
	late := poolGateway("late", 1, static("192.0.2.2"))
	got = bindAll(t, mustPoolBinder(t, "192.0.2.0/30", staticList(holder, late)), late, holder)
	want = map[string]string{"holder": "192.0.2.2", "late": string(gwapiv1.GatewayReasonAddressNotUsable)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestPoolBinderRefreshes: the Gateway list is read again when a Gateway is new or
// changed its request, and not otherwise; a Gateway missing from a lagging list is
// still bound; a failing list is reported.
func TestPoolBinderRefreshes(t *testing.T) {
	t.Parallel()
	calls := 0
	var listErr error
	a := poolGateway("a", 0, nil)
	binder := mustPoolBinder(t, "10.250.0.0/16", func() ([]*gwapiv1.Gateway, error) {
		calls++
		return []*gwapiv1.Gateway{a}, listErr
	})
	first := bindAll(t, binder, a)["a"]
	bindAll(t, binder, a)
	if calls != 1 {
		t.Errorf("the list was read %d times for an unchanged Gateway, want once", calls)
	}
	// b is not in the list yet (its informer event is still on the way).
	b := poolGateway("b", 1, nil)
	got := bindAll(t, binder, a, b)
	if got["a"] != first || got["b"] == first || calls != 2 {
		t.Errorf("got %v after %d list reads, want a to keep %s and b to get another address after one more read", got, calls, first)
	}
	changed := poolGateway("a", 0, []gwapiv1.GatewaySpecAddress{specAddress(gwapiv1.IPAddressType, "10.250.9.9")})
	if got := bindAll(t, binder, changed)["a"]; got != "10.250.9.9" || calls != 3 {
		t.Errorf("after a changed its request: %q after %d reads, want 10.250.9.9 after 3", got, calls)
	}
	// A static request never follows a pool address its status still shows.
	static := poolGateway("s", 3, []gwapiv1.GatewaySpecAddress{specAddress(gwapiv1.IPAddressType, "10.250.8.8")}, "10.250.1.1")
	bindAll(t, binder, static)
	if got := bindAll(t, binder, static)["s"]; got != "10.250.8.8" || calls != 4 {
		t.Errorf("a static Gateway with a stale status: %q after %d reads, want 10.250.8.8 after 4", got, calls)
	}
	listErr = errors.New("cache not started")
	if got := bindAll(t, binder, poolGateway("c", 2, nil))["c"]; got != string(gwapiv1.GatewayReasonAddressNotAssigned) {
		t.Errorf("with a failing list, a new Gateway got %q, want AddressNotAssigned", got)
	}
}

func TestPoolBinderPort(t *testing.T) {
	t.Parallel()
	if got := mustPoolBinder(t, "10.250.0.0/16", staticList()).Port(&gwapiv1.Gateway{}, 443); got != 443 {
		t.Errorf("Port = %d, want the listener port 443", got)
	}
}

// TestCompileWithPoolBinder: Gateways whose listeners share a port get sockets of
// their own on their own addresses, so nothing conflicts, and status publishes the
// address each one is served on.
func TestCompileWithPoolBinder(t *testing.T) {
	t.Parallel()
	in := loadInput(t, "testdata/shared-socket.in.yaml")
	in.Binder = mustPoolBinder(t, "10.250.0.0/16", staticList(in.Gateways...))
	snap, report := Compile(in)
	checkInvariants(t, snap, report)
	sockets := map[string]bool{}
	for _, socket := range snap.Listeners {
		sockets[socket.Key()] = true
	}
	if len(sockets) != 5 {
		t.Errorf("sockets %v, want 5: one per Gateway and port", sockets)
	}
	for key, result := range report.Gateways {
		if len(result.Addresses) != 1 {
			t.Fatalf("Gateway %s publishes %v, want its one pool address", key, result.Addresses)
		}
		for _, l := range result.Listeners {
			if c := findCondition(l.Conditions, "Conflicted"); c.Status != metav1.ConditionFalse {
				t.Errorf("Gateway %s listener %s is %s: Gateways on their own addresses cannot conflict", key, l.Name, c.Reason)
			}
			socket := result.Sockets[l.Name]
			host, _, err := net.SplitHostPort(socket)
			if err != nil || !sockets[socket] || host != result.Addresses[0].Value {
				t.Errorf("Gateway %s listener %s is served on %q, want a socket on its address %s", key, l.Name, socket, result.Addresses[0].Value)
			}
		}
	}
}
