package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/turnpike-gateway/turnpike/test/internal/harness"
)

// backendSubcommand is the hidden first argument that turns this binary into the
// load backend, so that the harness needs nothing but itself, wrk and nginx.
const backendSubcommand = "backend"

// backendBody is the fixed answer of the backend: small, so that the figures
// measure per-request overhead rather than copying.
var backendBody = []byte("hello from the turnpike load backend\n")

// runBackend is `load backend --listen ADDR[,ADDR...]`: a fasthttp server answering
// every request with backendBody until SIGINT or SIGTERM.
func runBackend(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("load backend", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "", "comma-separated 127.0.0.1:PORT addresses to serve (required)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *listen == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "load backend: --listen ADDR[,ADDR...] is required and nothing else")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := harness.ServeFixedBody(ctx, "turnpike-load-backend", strings.Split(*listen, ","), backendBody); err != nil {
		fmt.Fprintln(stderr, "load backend:", err)
		return 1
	}
	return 0
}

// statusCheck succeeds once GET http://address+path with the given Host header
// (none when empty) and headers answers wantStatus, and, for a 200, the backend's
// body.
func statusCheck(address, host, path string, wantStatus int, headers ...header) func() error {
	client := &http.Client{Timeout: 2 * time.Second}
	url := "http://" + address + path
	return func() error {
		request, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if host != "" {
			request.Host = host
		}
		for _, h := range headers {
			request.Header.Set(h.name, h.value)
		}
		response, err := client.Do(request)
		if err != nil {
			return err
		}
		defer response.Body.Close()
		body, err := io.ReadAll(io.LimitReader(response.Body, 4096))
		if err != nil {
			return fmt.Errorf("reading GET %s: %w", url, err)
		}
		if response.StatusCode != wantStatus || (wantStatus == http.StatusOK && !bytes.Equal(body, backendBody)) {
			return fmt.Errorf("GET %s (Host %q%s) answered %s with %q, want %d", url, host, describeHeaders(headers), response.Status, body, wantStatus)
		}
		return nil
	}
}

// describeHeaders names the headers of a check, without their values: a message
// never carries a credential.
func describeHeaders(headers []header) string {
	var out strings.Builder
	for _, h := range headers {
		fmt.Fprintf(&out, ", with %s", h.name)
	}
	return out.String()
}
