package harness

import (
	"fmt"
	"net"
	"strconv"
)

// FreePorts asks the kernel for n distinct free loopback ports, holding all of them
// open until it has them all so that none is handed out twice.
func FreePorts(n int) ([]int, error) {
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
