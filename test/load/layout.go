package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
)

// cpuLayout says which CPU each party of a proxy run is pinned to (with taskset),
// so that the proxy under measurement never shares its core with the load it is
// given. On this project's 2-core machines:
//
//	CPU 0: the proxy (Turnpike or nginx, one at a time under load)
//	CPU 1: the backend and wrk (one thread)
//
// The backend and wrk are the same for every scenario and both proxies, so sharing
// a core costs both proxies alike; the proxy's own core shows whether the proxy was
// the bottleneck (its "core busy" figure near 100%). With 3 CPUs or more the
// backend and wrk get one each; with 1 nothing is pinned and the report says so.
type cpuLayout struct {
	proxy, backend, generator string
	// note explains the layout in the report.
	note string
}

// planLayout assigns the allowed CPUs.
func planLayout(allowed []int) cpuLayout {
	switch {
	case len(allowed) >= 3:
		proxy, backend, generator := strconv.Itoa(allowed[0]), strconv.Itoa(allowed[1]), strconv.Itoa(allowed[2])
		return cpuLayout{proxy: proxy, backend: backend, generator: generator,
			note: fmt.Sprintf("proxy on CPU %s, backend on CPU %s, wrk on CPU %s", proxy, backend, generator)}
	case len(allowed) == 2:
		proxy, shared := strconv.Itoa(allowed[0]), strconv.Itoa(allowed[1])
		return cpuLayout{proxy: proxy, backend: shared, generator: shared,
			note: fmt.Sprintf("proxy on CPU %s; backend and wrk share CPU %s", proxy, shared)}
	default:
		return cpuLayout{note: "one CPU: nothing pinned, the proxy, the backend and wrk share it (figures are indicative only)"}
	}
}

// pinned prefixes a command line with taskset when cpu is set.
func pinned(cpu string, command ...string) *exec.Cmd {
	if cpu == "" {
		return exec.Command(command[0], command[1:]...)
	}
	return exec.Command("taskset", append([]string{"--cpu-list", cpu}, command...)...)
}

// allowedCPUs reads the CPUs this process may run on from /proc/self/status, so
// that a harness started under taskset or in a cpuset stays inside it.
func allowedCPUs() ([]int, error) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return nil, fmt.Errorf("reading the allowed CPUs: %w", err)
	}
	for line := range bytes.Lines(status) {
		if list, ok := strings.CutPrefix(string(line), "Cpus_allowed_list:"); ok {
			return parseCPUList(strings.TrimSpace(list))
		}
	}
	return nil, fmt.Errorf("/proc/self/status has no Cpus_allowed_list")
}

// parseCPUList reads the kernel's list format: "0-1", "0,2-3,7".
func parseCPUList(list string) ([]int, error) {
	var cpus []int
	for part := range strings.SplitSeq(list, ",") {
		first, last, isRange := strings.Cut(part, "-")
		low, err := strconv.Atoi(first)
		if err != nil || low < 0 {
			return nil, fmt.Errorf("CPU list %q: %q is not a CPU number", list, first)
		}
		high := low
		if isRange {
			if high, err = strconv.Atoi(last); err != nil || high < low {
				return nil, fmt.Errorf("CPU list %q: %q is not a range", list, part)
			}
		}
		for cpu := low; cpu <= high; cpu++ {
			cpus = append(cpus, cpu)
		}
	}
	slices.Sort(cpus)
	return slices.Compact(cpus), nil
}
