package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// goTestOutput is real `go test -bench -benchmem` output of this project.
const goTestOutput = `goos: linux
goarch: amd64
pkg: github.com/turnpike-gateway/turnpike/dataplane/router
cpu: AMD EPYC
BenchmarkMatch/routes=10-2         	 2903218	       413.1 ns/op	       0 B/op	       0 allocs/op
BenchmarkMatch/routes=1000-2       	 2689442	       446.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkMatch/routes=10000-2      	 3191270	       376.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkCompile10000Routes-2   	       4	 266123456 ns/op	32505856 B/op	  420446 allocs/op
BenchmarkNoMem-16 	 100	 12.5 ns/op
PASS
ok  	github.com/turnpike-gateway/turnpike/dataplane/router	9.021s
`

func TestParseGoBench(t *testing.T) {
	t.Parallel()
	got, err := parseGoBench(goTestOutput)
	if err != nil {
		t.Fatalf("parseGoBench: %v", err)
	}
	want := []goBenchmark{
		{name: "BenchmarkMatch/routes=10", iterations: 2903218, nsPerOp: 413.1, bytesPerOp: 0, allocsPerOp: 0},
		{name: "BenchmarkMatch/routes=1000", iterations: 2689442, nsPerOp: 446, bytesPerOp: 0, allocsPerOp: 0},
		{name: "BenchmarkMatch/routes=10000", iterations: 3191270, nsPerOp: 376, bytesPerOp: 0, allocsPerOp: 0},
		{name: "BenchmarkCompile10000Routes", iterations: 4, nsPerOp: 266123456, bytesPerOp: 32505856, allocsPerOp: 420446},
		{name: "BenchmarkNoMem", iterations: 100, nsPerOp: 12.5, bytesPerOp: -1, allocsPerOp: -1},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(goBenchmark{})); diff != "" {
		t.Errorf("parseGoBench (-want +got):\n%s", diff)
	}
	if _, err := parseGoBench("BenchmarkX-2 \t lots \t 1.0 ns/op\n"); err == nil || !strings.Contains(err.Error(), "iterations") {
		t.Errorf("parseGoBench of a broken line = %v, want an iterations error", err)
	}
}

func TestTrimProcs(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"BenchmarkMatch/routes=10-2": "BenchmarkMatch/routes=10",
		"BenchmarkCompile-16":        "BenchmarkCompile",
		"BenchmarkCompile":           "BenchmarkCompile",
		"BenchmarkA/case-b":          "BenchmarkA/case-b",
	} {
		if got := trimProcs(in); got != want {
			t.Errorf("trimProcs(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLookupFlatness(t *testing.T) {
	t.Parallel()
	results, err := parseGoBench(goTestOutput)
	if err != nil {
		t.Fatal(err)
	}
	costs, factor, ok := lookupFlatness(results, "BenchmarkMatch", []int{10, 1000, 10000})
	if !ok || factor != 376/413.1 {
		t.Errorf("lookupFlatness = %v, %v, %v; want the 10,000-route cost over the 10-route one", costs, factor, ok)
	}
	if diff := cmp.Diff([]float64{413.1, 446, 376}, costs); diff != "" {
		t.Errorf("costs (-want +got):\n%s", diff)
	}
	if _, _, ok := lookupFlatness(results, "BenchmarkMatchOneHost", []int{10, 1000, 10000}); ok {
		t.Error("lookupFlatness found a benchmark that is not in the output")
	}
}

func TestThousands(t *testing.T) {
	t.Parallel()
	for in, want := range map[int]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 10000: "10,000", 1234567: "1,234,567", -1000: "-1,000"} {
		if got := thousands(in); got != want {
			t.Errorf("thousands(%d) = %q, want %q", in, got, want)
		}
	}
}
