package harness

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
)

// FreePorts returns n distinct loopback ports that are free now, for a child
// process to bind later. They come from below the kernel's ephemeral range: a port
// the kernel handed out for a ":0" bind (any test's backend, any outgoing
// connection) can never be one of them, so between this check and the child's bind
// only another caller of FreePorts could take it, and the random choice over
// thousands of ports makes that unlikely. (Ports from a ":0" bind, released and
// reused, were taken by other tests' sockets in the meantime under a parallel
// `go test ./...`.)
func FreePorts(n int) ([]int, error) {
	low, high := portPool()
	var (
		ports     []int
		listeners []net.Listener
		seen      = map[int]bool{}
	)
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	for attempts := 0; len(ports) < n; attempts++ {
		if attempts > 1000 {
			return nil, errors.New("finding a free loopback port: 1000 candidates were all busy")
		}
		port := low + rand.IntN(high-low)
		if seen[port] {
			continue
		}
		seen[port] = true
		listener, err := net.Listen("tcp4", Loopback(port))
		if err != nil {
			continue
		}
		listeners = append(listeners, listener)
		ports = append(ports, port)
	}
	return ports, nil
}

// portPool is the range FreePorts draws from: from 10000 up to the start of the
// ephemeral range (32768 when it cannot be read).
func portPool() (low, high int) {
	low, high = 10000, 32768
	data, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return low, high
	}
	fields := strings.Fields(string(data))
	if len(fields) == 2 {
		if start, err := strconv.Atoi(fields[0]); err == nil && start > low+1000 {
			high = start
		}
	}
	return low, high
}

// Loopback is 127.0.0.1:port.
func Loopback(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// RequireLoopback refuses any address but 127.0.0.1: the harnesses never listen on
// or send load to another interface.
func RequireLoopback(address string) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("address %q: %w", address, err)
	}
	if host != "127.0.0.1" {
		return fmt.Errorf("address %q: the harness uses 127.0.0.1 only", address)
	}
	return nil
}
