package router

import "github.com/turnpike-gateway/turnpike/dataplane/snapshot"

// Table holds the lookup structures of one snapshot. It is immutable after New
// and safe for concurrent use; a new snapshot gets a new Table.
type Table struct {
	sockets map[string]*SocketTable
	// routes lists every distinct route of the indexed sockets, in snapshot order.
	routes []*snapshot.Route
}

// SocketTable routes the requests of one socket (one snapshot.Listener).
type SocketTable struct {
	listener  *snapshot.Listener
	hosts     hostIndex
	listeners []listenerTable
}

// listenerTable routes the requests that one GatewayListener accepted.
type listenerTable struct {
	gatewayListener *snapshot.GatewayListener
	hosts           hostIndex
	virtualHosts    []routeIndex
}

// New indexes every socket of the snapshot. The snapshot must not change
// afterwards (snapshots never do). If two listeners share a Key, the first wins.
func New(snap *snapshot.Snapshot) *Table {
	t := &Table{sockets: map[string]*SocketTable{}}
	if snap == nil {
		return t
	}
	seen := map[*snapshot.Route]struct{}{}
	for _, l := range snap.Listeners {
		if l == nil {
			continue
		}
		key := l.Key()
		if _, dup := t.sockets[key]; dup {
			continue
		}
		t.sockets[key] = newSocketTable(l)
		t.routes = appendRoutes(t.routes, seen, l)
	}
	return t
}

// appendRoutes appends the routes of l that are not in seen yet, and records them
// there. The matches of one rule are distinct Routes, but one Route may be
// attached to several virtual hosts.
func appendRoutes(routes []*snapshot.Route, seen map[*snapshot.Route]struct{}, l *snapshot.Listener) []*snapshot.Route {
	for _, gl := range l.GatewayListeners {
		for _, vh := range gl.VirtualHosts {
			for _, r := range vh.Routes {
				if _, dup := seen[r]; dup || r == nil {
					continue
				}
				seen[r] = struct{}{}
				routes = append(routes, r)
			}
		}
	}
	return routes
}

// Routes lists every route the table can return, each once, in snapshot order.
// The data plane builds per-route state (filter chains, forwarding targets) from it.
func (t *Table) Routes() []*snapshot.Route {
	if t == nil {
		return nil
	}
	return t.routes
}

func newSocketTable(l *snapshot.Listener) *SocketTable {
	st := &SocketTable{listener: l}
	hostnames := make([]string, len(l.GatewayListeners))
	for i, gl := range l.GatewayListeners {
		hostnames[i] = gl.Hostname
		st.listeners = append(st.listeners, newListenerTable(gl))
	}
	st.hosts = newHostIndex(hostnames)
	return st
}

func newListenerTable(gl *snapshot.GatewayListener) listenerTable {
	lt := listenerTable{gatewayListener: gl}
	hostnames := make([]string, len(gl.VirtualHosts))
	for i, vh := range gl.VirtualHosts {
		hostnames[i] = vh.Hostname
		lt.virtualHosts = append(lt.virtualHosts, newRouteIndex(vh.Routes))
	}
	lt.hosts = newHostIndex(hostnames)
	return lt
}

// Socket returns the table of the socket with the given snapshot.Listener Key,
// or nil when the snapshot has no such socket.
func (t *Table) Socket(key string) *SocketTable {
	if t == nil {
		return nil
	}
	return t.sockets[key]
}

// Match routes a request that arrived on the socket with the given Key. See
// SocketTable.Match.
func (t *Table) Match(socketKey string, req Request) (*snapshot.Route, *snapshot.GatewayListener) {
	return t.Socket(socketKey).Match(req)
}

// Listener returns the snapshot listener the table was built from.
func (st *SocketTable) Listener() *snapshot.Listener {
	if st == nil {
		return nil
	}
	return st.listener
}

// Match returns the route that serves req and the GatewayListener that accepted
// it. The listener is the first whose hostname matches the host (listener isolation:
// a request never falls through to a less specific listener). The route is the
// first, in snapshot order, whose path, method, headers and query parameters all
// match, searching the listener's matching virtual hosts from the most specific to
// the least. When a listener accepts the request but
// no route matches, Match returns (nil, listener); when no listener accepts it,
// (nil, nil). A nil SocketTable matches nothing.
func (st *SocketTable) Match(req Request) (*snapshot.Route, *snapshot.GatewayListener) {
	if st == nil {
		return nil, nil
	}
	var buf hostBuffer
	host, ok := normalizeHost(&buf, req.Host())

	li := st.hosts.lookup(host, ok)
	if li < 0 {
		return nil, nil
	}
	lt := &st.listeners[li]
	// Every route whose hostnames match the request competes, the more specific
	// hostname first (Gateway API: precedence goes to the most characters in a
	// matching non-wildcard hostname, then in a matching hostname). Virtual hosts are
	// in that order, so the first route found while walking them wins.
	for vi := lt.hosts.next(host, ok, -1); vi >= 0; vi = lt.hosts.next(host, ok, vi) {
		if route := lt.virtualHosts[vi].match(req); route != nil {
			return route, lt.gatewayListener
		}
	}
	return nil, lt.gatewayListener
}
