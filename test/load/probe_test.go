package main

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/valyala/fasthttp"

	"github.com/turnpike-gateway/turnpike/controllers/compiler"
	"github.com/turnpike-gateway/turnpike/controllers/standalone"
	"github.com/turnpike-gateway/turnpike/dataplane/server"
	"github.com/turnpike-gateway/turnpike/test/internal/harness"
)

// shortWindow bounds the probes that are expected to fail, so that the test does
// not wait the whole probeWindow for an answer that will not change.
const shortWindow = 200 * time.Millisecond

// serveLoadConfig serves set as `turnpike standalone` would: the generated files
// through the real loader, compiler and data plane, in this process, in front of
// a loopback backend answering backendBody. It returns the listener's address.
func serveLoadConfig(t *testing.T, set routeSet) string {
	t.Helper()
	backendListener, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	backend := &fasthttp.Server{Handler: harness.FixedBodyHandler(backendBody)}
	go backend.Serve(backendListener) //nolint:errcheck // ends with Shutdown below
	t.Cleanup(func() { _ = backend.Shutdown() })

	set.backendPort = backendListener.Addr().(*net.TCPAddr).Port
	set.listenerPort = 18080 // rebound below to a free port
	dir := t.TempDir()
	if err := set.write(dir); err != nil {
		t.Fatal(err)
	}
	in, errs := standalone.Load(dir)
	if len(errs) > 0 {
		t.Fatalf("the loader rejects the configuration: %v", errs)
	}
	snap, _ := compiler.Compile(in)
	var (
		mu      sync.Mutex
		address string
	)
	dp := server.New(server.Options{Listen: func(network, _ string) (net.Listener, error) {
		listener, err := net.Listen(network, "127.0.0.1:0")
		if err == nil {
			mu.Lock()
			address = listener.Addr().String()
			mu.Unlock()
		}
		return listener, err
	}}, logr.Discard())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- dp.Start(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	if result := dp.Publish(snap); len(result.BindErrors) > 0 {
		t.Fatalf("bind errors: %v", result.BindErrors)
	}
	mu.Lock()
	defer mu.Unlock()
	if address == "" {
		t.Fatal("the data plane opened no socket")
	}
	return address
}

// TestProbesPassWherePoliciesAreEnforced runs the probes of the AuthPolicy
// scenarios, as planned with a run's real credentials and issuer, against
// Turnpike's data plane serving the scenarios' configurations.
func TestProbesPassWherePoliciesAreEnforced(t *testing.T) {
	t.Parallel()
	creds, issuer, err := newRunCredentials()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(issuer.close)
	scenarios, skipped := planScenarios(rootWithCRDs(t, "authpolicies", "ratelimitpolicies"), 10, creds)
	if len(skipped) > 0 {
		t.Fatalf("skipped %v", skipped)
	}
	probed := 0
	for _, sc := range scenarios {
		if !sc.credential.isSet() {
			continue
		}
		probed++
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			host, path := sc.set.requestFor(sc.request)
			address := serveLoadConfig(t, sc.set)
			reason, err := checkAuthEnforced(context.Background(), probeWindow, address, host, path, sc.credential, sc.wrongCredential)
			if err != nil || reason != "" {
				t.Errorf("the auth probe fails on an enforced policy: %q, %v", reason, err)
			}
			if !sc.rateLimitProbe {
				return
			}
			// The rate-limit probe's configuration: the same, with a limit of 0.
			zero := int64(0)
			limited := sc.set
			limited.rateLimit = &zero
			reason, err = checkRateLimited(context.Background(), probeWindow, serveLoadConfig(t, limited), host, path, sc.credential)
			if err != nil || reason != "" {
				t.Errorf("the rate-limit probe fails on an enforced limit of 0: %q, %v", reason, err)
			}
		})
	}
	if probed != 3 {
		t.Errorf("%d scenarios with credentials, want the three AuthPolicy ones", probed)
	}
}

// TestProbesFailWherePoliciesAreNotEnforced serves configurations that do not
// do what a scenario needs, and expects the probes to say so.
func TestProbesFailWherePoliciesAreNotEnforced(t *testing.T) {
	t.Parallel()
	never := neverHitLimit
	valid, wrong := apiKeyHeader("k-valid"), apiKeyHeader("k-wrong")
	tests := []struct {
		name string
		set  routeSet
		// probe runs one probe against address and returns its reason.
		probe      func(address string) (string, error)
		wantReason string
	}{
		{
			name: "no AuthPolicy",
			set:  routeSet{routes: 1},
			probe: func(address string) (string, error) {
				return checkAuthEnforced(context.Background(), shortWindow, address, "", "/", valid, wrong)
			},
			wantReason: "accepted but not enforced: without a credential",
		},
		{
			name: "a policy that knows another key",
			set:  routeSet{routes: 1, auth: &routeAuth{apiKey: "k-other"}},
			probe: func(address string) (string, error) {
				return checkAuthEnforced(context.Background(), shortWindow, address, "", "/", valid, wrong)
			},
			wantReason: "valid credential is not let through",
		},
		{
			name: "a limit that is never hit",
			set:  routeSet{routes: 1, rateLimit: &never},
			probe: func(address string) (string, error) {
				return checkRateLimited(context.Background(), shortWindow, address, "", "/", header{})
			},
			wantReason: "accepted but not enforced: with a limit of 0",
		},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			reason, err := test.probe(serveLoadConfig(t, test.set))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(reason, test.wantReason) {
				t.Errorf("probe reason %q, want it to say %q", reason, test.wantReason)
			}
		})
	}
}

func TestProbesStopWithTheirContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	address := serveLoadConfig(t, routeSet{routes: 1})
	if _, err := checkRateLimited(ctx, probeWindow, address, "", "/", header{}); err != context.Canceled {
		t.Errorf("checkRateLimited on a cancelled context: %v, want context.Canceled", err)
	}
	if _, err := checkAuthEnforced(ctx, probeWindow, address, "", "/", header{"Authorization", "APIKEY x"}, header{}); err != context.Canceled {
		t.Errorf("checkAuthEnforced on a cancelled context: %v, want context.Canceled", err)
	}
}
