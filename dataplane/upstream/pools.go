package upstream

import (
	"net"
	"slices"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// Endpoint is one backend address and its pool of keep-alive connections. It is
// shared by every Target, of every snapshot, that names the address.
type Endpoint struct {
	address string
	client  *fasthttp.HostClient
	// dial opens a dedicated connection for an upgraded (WebSocket) request, which
	// never goes back to the pool; upgradeTimeout bounds the backend's handshake.
	dial           func() (net.Conn, error)
	upgradeTimeout time.Duration
}

// Address is "ip:port".
func (e *Endpoint) Address() string { return e.address }

// Pools owns one Endpoint per address. Pools outlive snapshots: building the
// Targets of a new snapshot reuses the Endpoints (and warm connections) of the
// addresses it still names. It is safe for concurrent use.
type Pools struct {
	opts PoolOptions

	mu        sync.Mutex
	endpoints map[string]*Endpoint
	// live holds the addresses named by the latest Targets call; the others are
	// retired and go away in Sweep once idle.
	live map[string]struct{}
}

// NewPools returns an empty set of pools; zero options take their defaults.
func NewPools(opts PoolOptions) *Pools {
	return &Pools{
		opts:      opts.WithDefaults(),
		endpoints: map[string]*Endpoint{},
		live:      map[string]struct{}{},
	}
}

// endpointLocked returns the Endpoint of addr, creating it on first use.
func (p *Pools) endpointLocked(addr string) *Endpoint {
	if ep, ok := p.endpoints[addr]; ok {
		return ep
	}
	connectTimeout := p.opts.ConnectTimeout
	readTimeout, writeTimeout := p.opts.ReadTimeout, p.opts.WriteTimeout
	ep := &Endpoint{
		address: addr,
		dial: func() (net.Conn, error) {
			return net.DialTimeout("tcp", addr, connectTimeout)
		},
		upgradeTimeout: p.opts.ReadTimeout,
		client: &fasthttp.HostClient{
			Addr: addr,
			Dial: func(addr string) (net.Conn, error) {
				conn, err := fasthttp.DialTimeout(addr, connectTimeout)
				if err != nil {
					return nil, err
				}
				return newCoalescedDeadlineConn(conn, readTimeout, writeTimeout), nil
			},
			MaxConns:            p.opts.MaxConnsPerEndpoint,
			MaxConnWaitTimeout:  p.opts.MaxConnWaitTimeout,
			MaxIdleConnDuration: p.opts.IdleConnTimeout,
			ReadTimeout:         p.opts.ReadTimeout,
			WriteTimeout:        p.opts.WriteTimeout,
			ReadBufferSize:      p.opts.MaxResponseHeaderBytes,
			MaxResponseBodySize: p.opts.MaxResponseBodyBytes,
			// A proxy passes the client's User-Agent through and adds none.
			NoDefaultUserAgentHeader: true,
			// Errors may end up in logs; keep request and response bytes out.
			SecureErrorLogMessage: true,
			RetryIfErr:            retryOnStaleConnection,
		},
	}
	p.endpoints[addr] = ep
	return ep
}

// Sweep forgets retired endpoints (addresses the latest snapshot no longer names)
// that have no request in flight, closing their idle connections. A retired
// endpoint that is still busy stays until a later Sweep. It returns how many
// endpoints it closed.
func (p *Pools) Sweep() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	closed := 0
	for addr, ep := range p.endpoints {
		if _, live := p.live[addr]; live || ep.client.PendingRequests() > 0 {
			continue
		}
		ep.client.CloseIdleConnections()
		delete(p.endpoints, addr)
		closed++
	}
	return closed
}

// Close closes the idle connections of every endpoint. Call it after the server
// has drained; connections still in use close when their request ends.
func (p *Pools) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ep := range p.endpoints {
		ep.client.CloseIdleConnections()
	}
}

// Addresses lists the addresses that currently have a pool, sorted.
func (p *Pools) Addresses() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	addrs := make([]string, 0, len(p.endpoints))
	for addr := range p.endpoints {
		addrs = append(addrs, addr)
	}
	slices.Sort(addrs)
	return addrs
}
