package main

import (
	"fmt"
	"net/netip"
	"sync"

	"k8s.io/apimachinery/pkg/types"
)

// ipam hands out Pod IPs from a CIDR: the lowest free address, so that addresses
// are reused once their Pod is gone and a long run never runs out.
type ipam struct {
	prefix netip.Prefix
	mu     sync.Mutex
	owners map[netip.Addr]types.UID
}

func newIPAM(prefix netip.Prefix) (*ipam, error) {
	if !prefix.Addr().Is4() || prefix.Bits() > 30 || prefix != prefix.Masked() {
		return nil, fmt.Errorf("pod CIDR %s must be an IPv4 network of at least 4 addresses", prefix)
	}
	return &ipam{prefix: prefix, owners: map[netip.Addr]types.UID{}}, nil
}

// allocate returns uid's address, giving it one when it has none.
func (a *ipam) allocate(uid types.UID) (netip.Addr, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for ip, owner := range a.owners {
		if owner == uid {
			return ip, nil
		}
	}
	// Skip the network address; stop before the broadcast address.
	for ip := a.prefix.Addr().Next(); a.prefix.Contains(ip.Next()); ip = ip.Next() {
		if _, taken := a.owners[ip]; !taken {
			a.owners[ip] = uid
			return ip, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("pod CIDR %s has no free address", a.prefix)
}

// release frees uid's address.
func (a *ipam) release(uid types.UID) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for ip, owner := range a.owners {
		if owner == uid {
			delete(a.owners, ip)
		}
	}
}
