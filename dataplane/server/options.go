package server

import (
	"net"
	"time"

	"github.com/turnpike-gateway/turnpike/dataplane/auth"
	"github.com/turnpike-gateway/turnpike/dataplane/ratelimit"
	"github.com/turnpike-gateway/turnpike/dataplane/telemetry"
	"github.com/turnpike-gateway/turnpike/dataplane/upstream"
)

// Options are the limits and knobs of the data plane. Zero fields take the
// defaults below, which are safe for untrusted clients.
type Options struct {
	// ReadTimeout bounds reading one whole request, body included (408 when a
	// started request is not complete in time).
	ReadTimeout time.Duration
	// WriteTimeout bounds writing one response to the client.
	WriteTimeout time.Duration
	// IdleTimeout closes a keep-alive connection that sends no new request.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds the request line plus headers (431 when exceeded).
	MaxHeaderBytes int
	// MaxRequestBodyBytes bounds a request body, which is buffered whole (413 when
	// exceeded).
	MaxRequestBodyBytes int
	// MaxConnections bounds the concurrent client connections of each socket.
	MaxConnections int
	// DrainTimeout bounds how long a socket that is closed (removed from the
	// snapshot, or at shutdown) waits for in-flight requests before it closes the
	// connections that remain.
	DrainTimeout time.Duration
	// SweepInterval is how often the pools of endpoints that left the snapshot are
	// checked and closed once idle.
	SweepInterval time.Duration
	// Upstream configures the connection pools to backends.
	Upstream upstream.PoolOptions
	// RateLimit configures where rate-limit counters live: process memory (the
	// default) or a Redis shared by every replica.
	RateLimit ratelimit.Options
	// Auth configures how AuthPolicy reaches key sets and introspection
	// endpoints (HTTP client, clock); its Log is set by the data plane.
	Auth auth.RuntimeOptions
	// OmitRateLimitHeaders leaves RateLimit-Policy and RateLimit off admitted
	// responses; refused ones (429) always carry them and Retry-After.
	OmitRateLimitHeaders bool
	// AccessLog configures the JSON access log; it is off while its Writer is
	// nil. The data plane writes it until it stops, then flushes it (the Writer
	// stays open: it belongs to the caller).
	AccessLog telemetry.AccessLogOptions
	// DisableRequestMetrics turns off the per-route request counters and
	// duration histograms (RequestMetrics then reports nothing).
	DisableRequestMetrics bool
	// Listen opens a socket; net.Listen when nil. The address is a
	// snapshot.Listener Key.
	Listen func(network, address string) (net.Listener, error)
}

// Defaults for Options.
const (
	DefaultReadTimeout         = 30 * time.Second
	DefaultWriteTimeout        = 60 * time.Second
	DefaultIdleTimeout         = 120 * time.Second
	DefaultMaxHeaderBytes      = 16 << 10
	DefaultMaxRequestBodyBytes = 8 << 20
	DefaultMaxConnections      = 10000
	DefaultDrainTimeout        = 30 * time.Second
	DefaultSweepInterval       = 30 * time.Second
)

// withDefaults returns o with every zero or negative field set to its default.
func (o Options) withDefaults() Options {
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = DefaultReadTimeout
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.MaxHeaderBytes <= 0 {
		o.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if o.MaxRequestBodyBytes <= 0 {
		o.MaxRequestBodyBytes = DefaultMaxRequestBodyBytes
	}
	if o.MaxConnections <= 0 {
		o.MaxConnections = DefaultMaxConnections
	}
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = DefaultDrainTimeout
	}
	if o.SweepInterval <= 0 {
		o.SweepInterval = DefaultSweepInterval
	}
	if o.Listen == nil {
		o.Listen = net.Listen
	}
	o.Upstream = o.Upstream.WithDefaults()
	o.RateLimit = o.RateLimit.WithDefaults()
	return o
}
