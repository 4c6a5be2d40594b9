package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/turnpike-gateway/turnpike/test/internal/harness"
)

// backendSubcommand is the hidden first argument that turns this binary into the
// bench backend, so the harness needs nothing but itself and the source tree.
const backendSubcommand = "backend"

// backendBody is the fixed answer of the bench backend: small, so that the figures
// measure per-request overhead rather than copying.
var backendBody = []byte("hello from the turnpike bench backend\n")

// backendHandler answers every request with 200 and backendBody.
var backendHandler = harness.FixedBodyHandler(backendBody)

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
	if err := harness.ServeFixedBody(ctx, "turnpike-bench-backend", strings.Split(*listen, ","), backendBody); err != nil {
		fmt.Fprintln(stderr, "bench backend:", err)
		return 1
	}
	return 0
}
