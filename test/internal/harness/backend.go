package harness

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/valyala/fasthttp"
)

// FixedBodyHandler answers every request with 200 and body. It does not allocate:
// SetBody copies into the pooled response's own buffer.
func FixedBodyHandler(body []byte) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		ctx.SetContentType("text/plain; charset=utf-8")
		ctx.SetBody(body)
	}
}

// ServeFixedBody listens on every address (127.0.0.1 only), then answers every
// request with FixedBodyHandler(body) until ctx is done or one listener fails. One
// process for several listeners keeps every scenario of a run on the same backend
// runtime.
func ServeFixedBody(ctx context.Context, name string, addresses []string, body []byte) error {
	var listeners []net.Listener
	defer func() {
		for _, listener := range listeners {
			listener.Close()
		}
	}()
	for _, address := range addresses {
		if err := RequireLoopback(address); err != nil {
			return err
		}
		listener, err := net.Listen("tcp4", address)
		if err != nil {
			return fmt.Errorf("listening on %s: %w", address, err)
		}
		listeners = append(listeners, listener)
	}
	server := &fasthttp.Server{
		Handler: FixedBodyHandler(body),
		Name:    name,
		// The backend must never be the bottleneck of a scenario's connection count.
		Concurrency: 1 << 16,
	}
	failures := make(chan error, len(listeners))
	for _, listener := range listeners {
		go func() { failures <- server.Serve(listener) }()
	}
	var served error
	select {
	case <-ctx.Done():
	case err := <-failures:
		served = fmt.Errorf("serving: %w", err)
	}
	// Keep-alive connections of a load generator may stay open; shutdown waits for
	// them only briefly, since nothing is in flight that matters once the run stops.
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := server.ShutdownWithContext(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return errors.Join(served, fmt.Errorf("shutting down: %w", err))
	}
	return served
}
