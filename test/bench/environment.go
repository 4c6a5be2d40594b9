package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// startupTimeout bounds each wait for a child to come up; generous, because the
// machine may be busy with other builds.
const startupTimeout = 60 * time.Second

// environment is everything the rounds need: the two processes under measurement
// and where to send load.
type environment struct {
	backend  *childProcess
	turnpike *childProcess
	// directAddresses are the backend listeners the quick-start route "/" balances
	// over (hello-1 and hello-2), which the direct scenario uses in turn as well.
	directAddresses []string
	// turnpikeAddress is the Gateway listener.
	turnpikeAddress string
}

// startEnvironment builds Turnpike from the current source into workDir, starts the
// backend and Turnpike on a copy of examples/quickstart moved to free ports, and
// returns once both answer the route "/" with the backend's body.
func startEnvironment(ctx context.Context, procs *children, workDir string, log io.Writer) (*environment, error) {
	root, err := moduleRoot(ctx)
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(log, "bench: building cmd/turnpike from", root)
	turnpikeBinary := filepath.Join(workDir, "turnpike")
	build := exec.CommandContext(ctx, "go", "build", "-o", turnpikeBinary, "./cmd/turnpike")
	build.Dir = root
	if output, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build ./cmd/turnpike: %w\n%s", err, output)
	}

	ports, err := freePorts(5)
	if err != nil {
		return nil, err
	}
	listenerPort, hello1Port, hello2Port, apiPort, adminPort := ports[0], ports[1], ports[2], ports[3], ports[4]
	env := &environment{
		directAddresses: []string{loopback(hello1Port), loopback(hello2Port)},
		turnpikeAddress: loopback(listenerPort),
	}

	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding the bench binary to start the backend: %w", err)
	}
	backendAddresses := []string{loopback(hello1Port), loopback(hello2Port), loopback(apiPort)}
	env.backend, err = procs.start("backend", self, backendSubcommand, "--listen", strings.Join(backendAddresses, ","))
	if err != nil {
		return nil, err
	}
	for _, address := range backendAddresses {
		if err := waitFor(ctx, env.backend, startupTimeout, "listener "+address, dialCheck(address)); err != nil {
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
	env.turnpike, err = procs.start("turnpike", turnpikeBinary, "standalone",
		"--config", configDir, "--admin-address", loopback(adminPort), "--log-level", "error")
	if err != nil {
		return nil, err
	}
	readyz := "http://" + loopback(adminPort) + "/readyz"
	if err := waitFor(ctx, env.turnpike, startupTimeout, readyz, httpOKCheck(readyz)); err != nil {
		return nil, err
	}

	// Both scenarios must reach the bench backend, or the comparison is void.
	for _, address := range env.directAddresses {
		if err := waitFor(ctx, env.backend, startupTimeout, "direct route", backendBodyCheck(address)); err != nil {
			return nil, err
		}
	}
	if err := waitFor(ctx, env.turnpike, startupTimeout, `route "/"`, backendBodyCheck(env.turnpikeAddress)); err != nil {
		return nil, err
	}
	return env, nil
}

// moduleRoot is the directory of the go.mod that holds the bench, so that the build
// and the example are those of the current source wherever the bench is run from.
func moduleRoot(ctx context.Context) (string, error) {
	output, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(output))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("run the bench from inside the turnpike module (go env GOMOD is %q)", gomod)
	}
	return filepath.Dir(gomod), nil
}

// freePorts asks the kernel for n distinct free loopback ports, holding all of them
// open until it has them all so that none is handed out twice.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		listener, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free loopback port: %w", err)
		}
		defer listener.Close()
		ports = append(ports, listener.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func loopback(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

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
