package compiler

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"net/netip"
	"reflect"
	"slices"
	"sync"

	"k8s.io/apimachinery/pkg/types"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// PoolBinder gives every Gateway an IP address of its own, from a pool of
// addresses that are local to the host (bare metal, or the conformance harness,
// where `ip route add local CIDR dev lo` makes a whole range bindable), and binds
// its listeners on that address and their real ports.
//
// A Gateway with an IPAddress in spec.addresses gets that address instead, in the
// pool or not (whether the host can bind it is the data plane's verdict, reported
// as AddressNotUsable when it cannot). A Gateway asks for at most one address:
// Turnpike binds one per Gateway, and ignoring the others would claim in status
// what is not served.
//
// Assignment is deterministic, so that every replica and every restart gives a
// Gateway the same address, and an address once given does not move:
//   - Gateways are considered oldest first (creation time, then namespace/name).
//   - A Gateway keeps the pool address its status already publishes (written by
//     the leader, read by every replica and after a restart), or else the one this
//     process gave it before, unless an older Gateway holds it.
//   - Otherwise it takes the first free address at or after a hash of its
//     namespace/name, so that a Gateway deleted and created again (by a GitOps
//     tool, say) gets its old address back when nobody took it meanwhile.
//
// Addresses held by older Gateways are never taken: a static request for an
// address an older Gateway holds is AddressNotUsable until that Gateway lets go.
type PoolBinder struct {
	pool  netip.Prefix
	first netip.Addr // first assignable address
	size  uint64     // assignable addresses, from first on
	// gateways lists every Gateway that draws from the pool (those of our
	// GatewayClasses): an address can only be chosen knowing who holds the others.
	gateways func() ([]*gwapiv1.Gateway, error)

	mu sync.Mutex
	// assigned is the last assignment, recomputed whenever Bind meets a Gateway it
	// does not know or whose spec.addresses changed.
	assigned map[types.NamespacedName]poolAssignment
}

var _ Binder = (*PoolBinder)(nil)

// poolAssignment is the outcome for one Gateway, with what it was computed from.
type poolAssignment struct {
	uid       types.UID
	addresses []gwapiv1.GatewaySpecAddress
	ip        netip.Addr // valid when err is nil
	fromPool  bool       // ip was assigned, not requested
	err       *BindError
}

// maxPoolSize bounds the addresses considered in a (large IPv6) pool, so that
// offsets fit in 64 bits without carrying.
const maxPoolSize = 1 << 62

// NewPoolBinder returns a PoolBinder drawing from pool. gateways lists every
// Gateway that draws from it; it is called when a Gateway appears or changes its
// spec.addresses, and must be cheap (an informer cache).
func NewPoolBinder(pool netip.Prefix, gateways func() ([]*gwapiv1.Gateway, error)) (*PoolBinder, error) {
	if !pool.IsValid() {
		return nil, errors.New("the address pool is not a valid CIDR")
	}
	if pool != pool.Masked() {
		return nil, fmt.Errorf("the address pool %s has host bits set; did you mean %s?", pool, pool.Masked())
	}
	if gateways == nil {
		return nil, errors.New("a PoolBinder needs a way to list Gateways")
	}
	hostBits := pool.Addr().BitLen() - pool.Bits()
	size, first := uint64(maxPoolSize), pool.Addr()
	if hostBits < 62 {
		size = uint64(1) << hostBits
	}
	// Leave out the network address (and the IPv4 broadcast address) unless the
	// pool is a single address or an IPv4 point-to-point pair.
	if hostBits >= 2 || (hostBits == 1 && pool.Addr().Is6()) {
		first = first.Next()
		size--
		if pool.Addr().Is4() {
			size--
		}
	}
	return &PoolBinder{pool: pool, first: first, size: size, gateways: gateways,
		assigned: map[types.NamespacedName]poolAssignment{}}, nil
}

// Pool returns the pool addresses are drawn from.
func (b *PoolBinder) Pool() netip.Prefix { return b.pool }

// Bind implements Binder.
func (b *PoolBinder) Bind(gw *gwapiv1.Gateway) (Binding, *BindError) {
	key := types.NamespacedName{Namespace: gw.Namespace, Name: gw.Name}
	b.mu.Lock()
	defer b.mu.Unlock()
	a, known := b.assigned[key]
	if !known || a.uid != gw.UID || !reflect.DeepEqual(a.addresses, gw.Spec.Addresses) || b.publishesOther(gw, a) {
		all, err := b.gateways()
		if err != nil {
			return Binding{}, &BindError{Reason: gwapiv1.GatewayReasonAddressNotAssigned,
				Message: fmt.Sprintf("No address could be chosen from the pool %s: listing Gateways failed: %v.", b.pool, err)}
		}
		// The compiler's copy of this Gateway is the one being bound; the list may
		// lag behind it (or lack it, if its class was created a moment ago).
		all = slices.DeleteFunc(slices.Clone(all), func(other *gwapiv1.Gateway) bool {
			return other.Namespace == gw.Namespace && other.Name == gw.Name
		})
		b.assigned = b.assign(append(all, gw))
		a = b.assigned[key]
	}
	if a.err != nil {
		return Binding{}, a.err
	}
	ip := a.ip.String()
	return Binding{IP: ip, Addresses: []gwapiv1.GatewayStatusAddress{statusAddress(ip)}}, nil
}

// Port implements Binder: each Gateway has an address of its own, so listeners
// bind their real ports.
func (*PoolBinder) Port(_ *gwapiv1.Gateway, listenerPort gwapiv1.PortNumber) int32 {
	return listenerPort
}

// holder records who holds an address, and whether by a static request (which
// other static requests may share, as on a Gateway that binds every interface).
type holder struct {
	key    types.NamespacedName
	static bool
}

// assign computes every Gateway's address. It reads b.assigned as the previous
// assignment and returns the new one.
func (b *PoolBinder) assign(gateways []*gwapiv1.Gateway) map[types.NamespacedName]poolAssignment {
	slices.SortFunc(gateways, func(x, y *gwapiv1.Gateway) int {
		return byAgeThenName(x.CreationTimestamp, y.CreationTimestamp,
			types.NamespacedName{Namespace: x.Namespace, Name: x.Name},
			types.NamespacedName{Namespace: y.Namespace, Name: y.Name})
	})
	out := make(map[types.NamespacedName]poolAssignment, len(gateways))
	held := map[netip.Addr]holder{}
	var pending []*gwapiv1.Gateway
	// Oldest first: static requests, and the addresses Gateways already have.
	for _, gw := range gateways {
		key := types.NamespacedName{Namespace: gw.Namespace, Name: gw.Name}
		a := poolAssignment{uid: gw.UID, addresses: gw.Spec.Addresses}
		static, dynamic, bindErr := requestedAddress(gw)
		switch {
		case bindErr != nil:
			a.err = bindErr
		case dynamic:
			if ip, ok := b.kept(gw, held); ok {
				a.ip, a.fromPool = ip, true
				held[ip] = holder{key: key}
			} else {
				pending = append(pending, gw)
				continue
			}
		default:
			if h, taken := held[static]; taken && !h.static {
				a.err = &BindError{Reason: gwapiv1.GatewayReasonAddressNotUsable,
					Message: fmt.Sprintf("Address %s is already assigned to Gateway %s from the pool; request another address, or none to get one from the pool.", static, h.key)}
				break
			}
			a.ip = static
			held[static] = holder{key: key, static: true}
		}
		out[key] = a
	}
	// Then new Gateways, oldest first, probing from the hash of their name.
	for _, gw := range pending {
		key := types.NamespacedName{Namespace: gw.Namespace, Name: gw.Name}
		a := poolAssignment{uid: gw.UID, addresses: gw.Spec.Addresses}
		if ip, ok := b.probe(key, held); ok {
			a.ip, a.fromPool = ip, true
			held[ip] = holder{key: key}
		} else {
			a.err = &BindError{Reason: gwapiv1.GatewayReasonAddressNotAssigned,
				Message: fmt.Sprintf("The address pool %s has no free address left; delete a Gateway or widen --gateway-address-pool.", b.pool)}
		}
		out[key] = a
	}
	return out
}

// kept returns the pool address a Gateway already has (published in its status,
// else given by this process before), when no older Gateway holds it.
func (b *PoolBinder) kept(gw *gwapiv1.Gateway, held map[netip.Addr]holder) (netip.Addr, bool) {
	var candidates []netip.Addr
	for _, address := range gw.Status.Addresses {
		if address.Type != nil && *address.Type != gwapiv1.IPAddressType {
			continue
		}
		if ip, err := netip.ParseAddr(address.Value); err == nil {
			candidates = append(candidates, ip)
		}
	}
	key := types.NamespacedName{Namespace: gw.Namespace, Name: gw.Name}
	if previous, ok := b.assigned[key]; ok && previous.err == nil && previous.uid == gw.UID {
		candidates = append(candidates, previous.ip)
	}
	for _, ip := range candidates {
		if _, taken := held[ip]; !taken && b.assignable(ip) {
			return ip, true
		}
	}
	return netip.Addr{}, false
}

// publishesOther says whether gw's status publishes a pool address other than
// the one assigned: the leader's choice, which a replica that chose differently
// (before it saw that Gateway's elders) must follow.
func (b *PoolBinder) publishesOther(gw *gwapiv1.Gateway, a poolAssignment) bool {
	if !a.fromPool {
		return false
	}
	for _, address := range gw.Status.Addresses {
		if address.Type != nil && *address.Type != gwapiv1.IPAddressType {
			continue
		}
		if ip, err := netip.ParseAddr(address.Value); err == nil && b.assignable(ip) && ip != a.ip {
			return true
		}
	}
	return false
}

// probe returns the first free address at or after the hash of key.
func (b *PoolBinder) probe(key types.NamespacedName, held map[netip.Addr]holder) (netip.Addr, bool) {
	h := fnv.New64a()
	_, _ = h.Write([]byte(key.Namespace + "/" + key.Name))
	start := h.Sum64() % b.size
	// Bounded by the pool size and by the held addresses plus one: past that
	// many probes, a free address has been found or the pool is full.
	limit := min(b.size, uint64(len(held))+1)
	for i := range limit {
		ip := b.addressAt((start + i) % b.size)
		if _, taken := held[ip]; !taken {
			return ip, true
		}
	}
	return netip.Addr{}, false
}

// assignable says whether the pool would hand out ip.
func (b *PoolBinder) assignable(ip netip.Addr) bool {
	if !b.pool.Contains(ip) || ip.Less(b.first) {
		return false
	}
	return !b.addressAt(b.size - 1).Less(ip)
}

// addressAt returns the assignable address at offset (below b.size).
func (b *PoolBinder) addressAt(offset uint64) netip.Addr {
	if b.first.Is4() {
		raw := b.first.As4()
		binary.BigEndian.PutUint32(raw[:], binary.BigEndian.Uint32(raw[:])+uint32(offset))
		return netip.AddrFrom4(raw)
	}
	// The pool is aligned and offsets stay below 2^62 and below the pool size, so
	// adding to the low 64 bits never carries.
	raw := b.first.As16()
	binary.BigEndian.PutUint64(raw[8:], binary.BigEndian.Uint64(raw[8:])+offset)
	return netip.AddrFrom16(raw)
}

// requestedAddress reads spec.addresses: a static IP, or dynamic (none given, or
// an IPAddress with an empty value), or why the request cannot be met.
func requestedAddress(gw *gwapiv1.Gateway) (static netip.Addr, dynamic bool, bindErr *BindError) {
	for _, address := range gw.Spec.Addresses {
		if addressType := specAddressType(address); addressType != gwapiv1.IPAddressType {
			return netip.Addr{}, false, &BindError{Reason: gwapiv1.GatewayReasonUnsupportedAddress,
				Message: fmt.Sprintf("Address %q of type %s is not supported; Turnpike binds IPAddress addresses only.",
					address.Value, addressType)}
		}
	}
	requests := 0
	for _, address := range gw.Spec.Addresses {
		requests++
		if address.Value == "" {
			continue
		}
		ip, err := netip.ParseAddr(address.Value)
		if err != nil || ip.Zone() != "" {
			return netip.Addr{}, false, &BindError{Reason: gwapiv1.GatewayReasonAddressNotUsable,
				Message: fmt.Sprintf("Address %q is not a valid IP address.", address.Value)}
		}
		static = ip
	}
	if requests > 1 {
		return netip.Addr{}, false, &BindError{Reason: gwapiv1.GatewayReasonAddressNotUsable,
			Message: fmt.Sprintf("spec.addresses asks for %d addresses, but Turnpike binds one address per Gateway; keep one.", requests)}
	}
	return static, !static.IsValid(), nil
}
