package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/turnpike-gateway/turnpike/test/internal/harness"
)

// startupTimeout bounds each wait for a child to come up; generous, because the
// machine may be busy with other builds.
const startupTimeout = 60 * time.Second

// environment is everything the rounds need: the two processes under measurement
// and where to send load.
type environment struct {
	backend  *harness.Process
	turnpike *harness.Process
	// directAddresses are the backend listeners the quick-start route "/" balances
	// over (hello-1 and hello-2), which the direct scenario uses in turn as well.
	directAddresses []string
	// turnpikeAddress is the Gateway listener.
	turnpikeAddress string
}

// startEnvironment builds Turnpike from the current source into workDir, starts the
// backend and Turnpike on a copy of examples/quickstart moved to free ports, and
// returns once both answer the route "/" with the backend's body.
func startEnvironment(ctx context.Context, procs *harness.Processes, workDir string, log io.Writer) (*environment, error) {
	root, err := harness.ModuleRoot(ctx)
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(log, "bench: building cmd/turnpike from", root)
	turnpikeBinary, err := harness.BuildTurnpike(ctx, root, workDir)
	if err != nil {
		return nil, err
	}

	ports, err := harness.FreePorts(5)
	if err != nil {
		return nil, err
	}
	listenerPort, hello1Port, hello2Port, apiPort, adminPort := ports[0], ports[1], ports[2], ports[3], ports[4]
	env := &environment{
		directAddresses: []string{harness.Loopback(hello1Port), harness.Loopback(hello2Port)},
		turnpikeAddress: harness.Loopback(listenerPort),
	}

	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding the bench binary to start the backend: %w", err)
	}
	backendAddresses := []string{harness.Loopback(hello1Port), harness.Loopback(hello2Port), harness.Loopback(apiPort)}
	env.backend, err = procs.Start("backend", self, backendSubcommand, "--listen", strings.Join(backendAddresses, ","))
	if err != nil {
		return nil, err
	}
	for _, address := range backendAddresses {
		if err := harness.WaitFor(ctx, env.backend, startupTimeout, "listener "+address, harness.DialCheck(address)); err != nil {
			return nil, err
		}
	}

	configDir := filepath.Join(workDir, "config")
	if err := os.Mkdir(configDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the bench configuration directory: %w", err)
	}
	moves := map[int]int{
		quickstartListenerPort: listenerPort,
		quickstartHello1Port:   hello1Port,
		quickstartHello2Port:   hello2Port,
		quickstartAPIPort:      apiPort,
	}
	if err := copyQuickstart(filepath.Join(root, "examples", "quickstart"), configDir, moves); err != nil {
		return nil, err
	}
	env.turnpike, err = procs.Start("turnpike", turnpikeBinary, "standalone",
		"--config", configDir, "--admin-address", harness.Loopback(adminPort), "--log-level", "error", "--access-log", "off")
	if err != nil {
		return nil, err
	}
	readyz := "http://" + harness.Loopback(adminPort) + "/readyz"
	if err := harness.WaitFor(ctx, env.turnpike, startupTimeout, readyz, harness.HTTPOKCheck(readyz)); err != nil {
		return nil, err
	}

	// Both scenarios must reach the bench backend, or the comparison is void.
	for _, address := range env.directAddresses {
		if err := harness.WaitFor(ctx, env.backend, startupTimeout, "direct route", backendBodyCheck(address)); err != nil {
			return nil, err
		}
	}
	if err := harness.WaitFor(ctx, env.turnpike, startupTimeout, `route "/"`, backendBodyCheck(env.turnpikeAddress)); err != nil {
		return nil, err
	}
	return env, nil
}

// backendBodyCheck succeeds once GET / on address answers 200 with the bench
// backend's body.
func backendBodyCheck(address string) func() error {
	client := &http.Client{Timeout: time.Second}
	url := "http://" + address + "/"
	return func() error {
		response, err := client.Get(url)
		if err != nil {
			return err
		}
		defer response.Body.Close()
		body, err := io.ReadAll(io.LimitReader(response.Body, 4096))
		if err != nil {
			return fmt.Errorf("reading GET %s: %w", url, err)
		}
		if response.StatusCode != http.StatusOK || !bytes.Equal(body, backendBody) {
			return fmt.Errorf("GET %s answered %s with %q, want 200 with %q", url, response.Status, body, backendBody)
		}
		return nil
	}
}
