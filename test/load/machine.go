package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// machineDetails names the machine a figure was measured on: CPU count and model,
// Go version, and the load average at start (a busy shared machine explains a
// noisy run).
func machineDetails() string {
	details := fmt.Sprintf("nproc %d, %s %s/%s", runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if cpuinfo, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range bytes.Lines(cpuinfo) {
			if name, value, ok := strings.Cut(string(line), ":"); ok && strings.TrimSpace(name) == "model name" {
				details += ", " + strings.TrimSpace(value)
				break
			}
		}
	}
	if loadavg, err := os.ReadFile("/proc/loadavg"); err == nil {
		if fields := strings.Fields(string(loadavg)); len(fields) >= 3 {
			details += ", load average " + strings.Join(fields[:3], " ") + " at start"
		}
	}
	return details
}

// nginxVersion is what `nginx -v` says ("nginx/1.22.1"), or "nginx" when it says
// nothing readable.
func nginxVersion(nginx string) string {
	output, err := exec.Command(nginx, "-v").CombinedOutput()
	if err != nil {
		return "nginx"
	}
	if _, version, ok := strings.Cut(strings.TrimSpace(string(output)), "nginx version: "); ok {
		return version
	}
	return "nginx"
}
