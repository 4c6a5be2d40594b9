// Package upstream chooses a backend endpoint for a matched route and forwards the
// request to it over pooled keep-alive connections.
//
// It is the last stage of the data plane:
//
//	snapshot -> router -> filters -> upstream (pick backend, pick endpoint, forward)
//
// Connection pools live in Pools, keyed by endpoint address ("ip:port"), and
// outlive snapshot swaps: a new snapshot that still names an address reuses its
// warm connections. Per snapshot, Pools.Targets builds one Target per route, which
// picks among the route's backends by weight and, within a backend, among its
// endpoints round robin. Addresses that a new snapshot no longer names are retired
// and their idle connections closed by Sweep once no request is in flight on them.
//
// Forwarding reuses the server's request and response objects (no copies), strips
// hop-by-hop headers both ways, and adds X-Forwarded-For, -Proto and -Host. Failures
// come back as an Outcome that the server turns into a problem response; the error
// itself is for the debug log only.
package upstream
