package upstream

import "time"

// PoolOptions configures the connection pool of every endpoint. Zero fields take
// the defaults below.
type PoolOptions struct {
	// MaxConnsPerEndpoint caps the connections to one endpoint address.
	MaxConnsPerEndpoint int
	// MaxConnWaitTimeout is how long a request waits for a free connection when
	// the cap is reached, before it is answered 503.
	MaxConnWaitTimeout time.Duration
	// ConnectTimeout bounds establishing a TCP connection (504 when exceeded).
	ConnectTimeout time.Duration
	// ReadTimeout bounds reading the backend's response (504 when exceeded).
	ReadTimeout time.Duration
	// WriteTimeout bounds writing the request to the backend.
	WriteTimeout time.Duration
	// IdleConnTimeout closes a pooled connection that has been idle this long.
	IdleConnTimeout time.Duration
	// MaxResponseHeaderBytes is the read buffer per connection, which bounds the
	// backend's status line and headers.
	MaxResponseHeaderBytes int
	// MaxResponseBodyBytes bounds a response body, which is buffered whole (502
	// when exceeded).
	MaxResponseBodyBytes int
}

// Defaults for PoolOptions.
const (
	DefaultMaxConnsPerEndpoint    = 1024
	DefaultMaxConnWaitTimeout     = 2 * time.Second
	DefaultConnectTimeout         = 5 * time.Second
	DefaultReadTimeout            = 60 * time.Second
	DefaultWriteTimeout           = 60 * time.Second
	DefaultIdleConnTimeout        = 90 * time.Second
	DefaultMaxResponseHeaderBytes = 16 << 10
	DefaultMaxResponseBodyBytes   = 64 << 20
)

// WithDefaults returns o with every zero or negative field set to its default.
func (o PoolOptions) WithDefaults() PoolOptions {
	orDefault := func(v, d time.Duration) time.Duration {
		if v <= 0 {
			return d
		}
		return v
	}
	orDefaultInt := func(v, d int) int {
		if v <= 0 {
			return d
		}
		return v
	}
	o.MaxConnsPerEndpoint = orDefaultInt(o.MaxConnsPerEndpoint, DefaultMaxConnsPerEndpoint)
	o.MaxConnWaitTimeout = orDefault(o.MaxConnWaitTimeout, DefaultMaxConnWaitTimeout)
	o.ConnectTimeout = orDefault(o.ConnectTimeout, DefaultConnectTimeout)
	o.ReadTimeout = orDefault(o.ReadTimeout, DefaultReadTimeout)
	o.WriteTimeout = orDefault(o.WriteTimeout, DefaultWriteTimeout)
	o.IdleConnTimeout = orDefault(o.IdleConnTimeout, DefaultIdleConnTimeout)
	o.MaxResponseHeaderBytes = orDefaultInt(o.MaxResponseHeaderBytes, DefaultMaxResponseHeaderBytes)
	o.MaxResponseBodyBytes = orDefaultInt(o.MaxResponseBodyBytes, DefaultMaxResponseBodyBytes)
	return o
}
