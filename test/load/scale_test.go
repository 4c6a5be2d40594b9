package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/turnpike-gateway/turnpike/test/internal/harness"
)

func TestPrintScaleReport(t *testing.T) {
	t.Parallel()
	figures := scaleFigures{
		machine: "a test machine", configBytes: 3 << 20,
		readyAfter: 1500 * time.Millisecond, lastRouteAfter: 1510 * time.Millisecond, cpuAtReady: 2 * time.Second,
		atReady:  harness.Memory{Peak: 250 << 20, Resident: 200 << 20},
		atSettle: harness.Memory{Peak: 320 << 20, Resident: 180 << 20},
	}
	compile := []goBenchmark{{name: "BenchmarkCompile10000Routes", nsPerOp: 4e8, bytesPerOp: 31 << 20, allocsPerOp: 420446}}
	match := []goBenchmark{
		{name: "BenchmarkMatch/routes=10", nsPerOp: 70}, {name: "BenchmarkMatch/routes=1000", nsPerOp: 75},
		{name: "BenchmarkMatch/routes=10000", nsPerOp: 210},
	}
	var out strings.Builder
	printScaleReport(&out, 10000, figures, compile, match)
	for _, want := range []string{
		"10,000 HTTPRoutes",
		"machine: a test machine",
		"400ms/op, 31 MB/op, 420446 allocs/op  < 1s",
		"start to /readyz (load, validate, compile, serve 10,000 routes)",
		"1.5s",
		"320 MB",
		"180 MB",
		"70 / 75 / 210 ns/op (3.00x)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	verdicts := map[string]string{
		"compile 10,000 routes":             "met",
		"peak since start (VmHWM)":          "NOT met",
		"at /readyz (VmRSS)":                "met",
		"idle (VmRSS)":                      "met",
		"(dataplane/router BenchmarkMatch)": "NOT met",
		"BenchmarkMatchOneHost)":            "-", // not in the output: not measured
	}
	for line := range strings.Lines(out.String()) {
		for label, want := range verdicts {
			if strings.Contains(line, label) {
				fields := strings.Fields(line)
				got := fields[len(fields)-1]
				if want == "NOT met" {
					got = strings.Join(fields[len(fields)-2:], " ")
				}
				if got != want {
					t.Errorf("line %q ends in %q, want %q", strings.TrimSpace(line), got, want)
				}
				delete(verdicts, label)
			}
		}
	}
	for label := range verdicts {
		t.Errorf("no line for %q:\n%s", label, out.String())
	}
}

func TestDirectorySize(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, size := range map[string]int{"a.yaml": 10, "b.yaml": 32} {
		if err := os.WriteFile(filepath.Join(dir, name), make([]byte, size), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := directorySize(dir); err != nil || got != 42 {
		t.Errorf("directorySize = %d, %v; want 42", got, err)
	}
	if _, err := directorySize(filepath.Join(dir, "missing")); err == nil {
		t.Error("directorySize of a missing directory succeeded")
	}
}
