package upstream

import (
	"math/rand/v2"
	"net"
	"strconv"
	"sync/atomic"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// Targets are the forwarding targets of one snapshot, one per route.
type Targets struct {
	byRoute map[*snapshot.Route]*Target
}

// For returns the Target of a route of the snapshot the Targets were built from,
// or nil. A nil Target picks NoValidBackend.
func (t *Targets) For(route *snapshot.Route) *Target {
	if t == nil {
		return nil
	}
	return t.byRoute[route]
}

// Target chooses where one route's requests go.
type Target struct {
	// backends holds only the backends of positive weight, cumulative their
	// running weight sums: backend i is chosen for a draw in
	// [cumulative[i-1], cumulative[i]).
	backends   []*backendTarget
	cumulative []uint64
	total      uint64
}

// backendTarget is one backend of a snapshot with its round-robin cursor. Routes
// that share a *snapshot.Backend (the matches of one rule) share the cursor.
type backendTarget struct {
	backend   *snapshot.Backend
	endpoints []*Endpoint
	next      atomic.Uint32
}

// Targets builds the Targets of one snapshot's routes (router.Table.Routes lists
// them), reusing the pools of addresses seen before. The addresses they name
// become the live set; the others are retired (see Sweep).
func (p *Pools) Targets(routes []*snapshot.Route) *Targets {
	p.mu.Lock()
	defer p.mu.Unlock()
	live := map[string]struct{}{}
	backends := map[*snapshot.Backend]*backendTarget{}
	targets := &Targets{byRoute: make(map[*snapshot.Route]*Target, len(routes))}
	for _, route := range routes {
		if route == nil {
			continue
		}
		if _, done := targets.byRoute[route]; done {
			continue
		}
		target := &Target{}
		for _, b := range route.Backends {
			if b == nil || b.Weight <= 0 {
				continue
			}
			bt, ok := backends[b]
			if !ok {
				bt = &backendTarget{backend: b}
				if b.Invalid == "" {
					for _, e := range b.Endpoints {
						addr := net.JoinHostPort(e.IP, strconv.Itoa(int(e.Port)))
						live[addr] = struct{}{}
						bt.endpoints = append(bt.endpoints, p.endpointLocked(addr))
					}
				}
				backends[b] = bt
			}
			target.total += uint64(b.Weight)
			target.backends = append(target.backends, bt)
			target.cumulative = append(target.cumulative, target.total)
		}
		targets.byRoute[route] = target
	}
	p.live = live
	return targets
}

// Pick chooses a backend by weight and one of its endpoints round robin. The
// backend is returned whenever one was chosen, so that failures can be logged
// against it; the endpoint only with OK.
func (t *Target) Pick() (*Endpoint, *snapshot.Backend, Outcome) {
	if t == nil || t.total == 0 {
		return nil, nil, NoValidBackend
	}
	bt := t.backends[0]
	if len(t.backends) > 1 {
		draw := rand.Uint64N(t.total)
		for i, upper := range t.cumulative {
			if draw < upper {
				bt = t.backends[i]
				break
			}
		}
	}
	if bt.backend.Invalid != "" {
		return nil, bt.backend, NoValidBackend
	}
	n := uint32(len(bt.endpoints))
	if n == 0 {
		return nil, bt.backend, NoReadyEndpoints
	}
	return bt.endpoints[(bt.next.Add(1)-1)%n], bt.backend, OK
}
