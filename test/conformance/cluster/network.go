package main

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
)

// setUpNetwork prepares the harness's network namespace: loopback up, the node's
// address on it, and the Gateway address pool routed locally so that any of its
// addresses can be bound. It refuses to touch a namespace that is not a fresh one
// of its own, so that nothing is ever configured on the host: outside names the
// namespace the harness was started from (as /proc/<pid>/ns/net reads), which
// this one must differ from, and so must PID 1's when it can be read.
func setUpNetwork(outside string, nodeIP netip.Addr, pool netip.Prefix) error {
	self, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		return err
	}
	if initial, err := os.Readlink("/proc/1/ns/net"); err == nil && initial == self {
		outside = initial
	}
	links, err := exec.Command("ip", "-o", "link", "show").Output()
	if err != nil {
		return fmt.Errorf("listing links: %w", err)
	}
	if err := checkFreshNamespace(self, outside, string(links)); err != nil {
		return err
	}
	steps := [][]string{
		{"ip", "link", "set", "lo", "up"},
		{"ip", "addr", "add", nodeIP.String() + "/32", "dev", "lo"},
		{"ip", "route", "add", "local", pool.String(), "dev", "lo"},
	}
	for _, step := range steps {
		if out, err := exec.Command(step[0], step[1:]...).CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %w: %s", strings.Join(step, " "), err, strings.TrimSpace(string(out)))
		}
	}
	return nil
}

// checkFreshNamespace accepts only a network namespace other than the outside
// one whose only link that is up is loopback: one `unshare --net` just made
// (where the kernel's fallback tunnel devices, if any, are down).
func checkFreshNamespace(self, outside, links string) error {
	if outside == "" {
		return errors.New("the network namespace to stay out of is unknown (-outside-netns)")
	}
	if self == outside {
		return errors.New("refusing to configure the host's network namespace; run under `unshare --net` (hack/conformance.sh does)")
	}
	for _, line := range strings.Split(strings.TrimSpace(links), "\n") {
		// "2: eth0@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 ..."
		fields := strings.Fields(line)
		if len(fields) < 3 || fields[1] == "lo:" {
			continue
		}
		flags := strings.Split(strings.Trim(fields[2], "<>"), ",")
		for _, flag := range flags {
			if flag == "UP" {
				name, _, _ := strings.Cut(strings.TrimSuffix(fields[1], ":"), "@")
				return fmt.Errorf("the network namespace is not fresh (link %s is up); run under `unshare --net`", name)
			}
		}
	}
	return nil
}
