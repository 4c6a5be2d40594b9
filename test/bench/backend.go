package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
)

// backendSubcommand is the hidden first argument that turns this binary into the
// bench backend, so the harness needs nothing but itself and the source tree.
const backendSubcommand = "backend"

// backendBody is the fixed answer of the bench backend: small, so that the figures
// measure per-request overhead rather than copying.
var backendBody = []byte("hello from the turnpike bench backend\n")

// backendHandler answers every request with 200 and backendBody. It does not
// allocate: SetBody copies into the pooled response's own buffer.
func backendHandler(ctx *fasthttp.RequestCtx) {
	ctx.SetContentType("text/plain; charset=utf-8")
	ctx.SetBody(backendBody)
}

// newBackendServer is the fasthttp server the backend runs on each listener.
func newBackendServer() *fasthttp.Server {
	return &fasthttp.Server{
		Handler: backendHandler,
		Name:    "turnpike-bench-backend",
		// The backend must never be the bottleneck of a scenario's connection count.
		Concurrency: 1 << 16,
	}
}

// runBackend is `bench backend --listen ADDR[,ADDR...]`: one process serving the
// same handler on every address until SIGINT or SIGTERM. One process for all the
// quick-start endpoints keeps the direct and the proxied scenario on the same
// backend runtime.
func runBackend(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench backend", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "", "comma-separated 127.0.0.1:PORT addresses to serve (required)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *listen == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "bench backend: --listen ADDR[,ADDR...] is required and nothing else")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serveBackend(ctx, strings.Split(*listen, ",")); err != nil {
		fmt.Fprintln(stderr, "bench backend:", err)
		return 1
	}
	return 0
}

// serveBackend listens on every address, then serves until ctx is done or one
// listener fails.
func serveBackend(ctx context.Context, addresses []string) error {
	var listeners []net.Listener
	defer func() {
		for _, listener := range listeners {
			listener.Close()
		}
	}()
	for _, address := range addresses {
		if err := requireLoopback(address); err != nil {
			return err
		}
		listener, err := net.Listen("tcp4", address)
		if err != nil {
			return fmt.Errorf("listening on %s: %w", address, err)
		}
		listeners = append(listeners, listener)
	}
	server := newBackendServer()
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
	// them only briefly, since nothing is in flight that matters once the bench stops.
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := server.ShutdownWithContext(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return errors.Join(served, fmt.Errorf("shutting down: %w", err))
	}
	return served
}

// requireLoopback refuses any address but 127.0.0.1: the bench never listens on or
// sends load to another interface.
func requireLoopback(address string) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("address %q: %w", address, err)
	}
	if host != "127.0.0.1" {
		return fmt.Errorf("address %q: the bench uses 127.0.0.1 only", address)
	}
	return nil
}
