package main

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// goBenchmark is one result line of `go test -bench`.
type goBenchmark struct {
	// name is without the -GOMAXPROCS suffix: "BenchmarkMatch/routes=10".
	name        string
	iterations  int64
	nsPerOp     float64
	bytesPerOp  int64 // -1 without -benchmem
	allocsPerOp int64 // -1 without -benchmem
}

// parseGoBench reads the result lines of `go test -bench` output, such as
//
//	BenchmarkMatch/routes=10-2   	15554102	        76.95 ns/op	       0 B/op	       0 allocs/op
//
// and ignores every other line.
func parseGoBench(output string) ([]goBenchmark, error) {
	var results []goBenchmark
	scanner := bufio.NewScanner(strings.NewReader(output))
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") || fields[3] != "ns/op" {
			continue
		}
		result := goBenchmark{name: trimProcs(fields[0]), bytesPerOp: -1, allocsPerOp: -1}
		var err error
		if result.iterations, err = strconv.ParseInt(fields[1], 10, 64); err != nil {
			return nil, fmt.Errorf("benchmark line %q: iterations: %w", scanner.Text(), err)
		}
		if result.nsPerOp, err = strconv.ParseFloat(fields[2], 64); err != nil {
			return nil, fmt.Errorf("benchmark line %q: ns/op: %w", scanner.Text(), err)
		}
		for i := 4; i+1 < len(fields); i += 2 {
			var into *int64
			switch fields[i+1] {
			case "B/op":
				into = &result.bytesPerOp
			case "allocs/op":
				into = &result.allocsPerOp
			default:
				continue
			}
			if *into, err = strconv.ParseInt(fields[i], 10, 64); err != nil {
				return nil, fmt.Errorf("benchmark line %q: %s: %w", scanner.Text(), fields[i+1], err)
			}
		}
		results = append(results, result)
	}
	return results, nil
}

// trimProcs drops the "-2" go test appends for GOMAXPROCS 2.
func trimProcs(name string) string {
	dash := strings.LastIndexByte(name, '-')
	if dash < 0 {
		return name
	}
	if _, err := strconv.Atoi(name[dash+1:]); err != nil {
		return name
	}
	return name[:dash]
}

// findBenchmark returns the result named name.
func findBenchmark(results []goBenchmark, name string) (goBenchmark, bool) {
	for _, result := range results {
		if result.name == name {
			return result, true
		}
	}
	return goBenchmark{}, false
}

// runGoBench runs `go test -run ^$ -bench pattern -benchmem` on one package of the
// module at root and returns its results.
func runGoBench(ctx context.Context, root, pkg, pattern string) ([]goBenchmark, error) {
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", pattern, "-benchmem", "-count", "1", pkg)
	cmd.Dir = root
	output, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("go test -bench %s %s: %w\n%s", pattern, pkg, err, output)
	}
	results, err := parseGoBench(string(output))
	if err != nil {
		return nil, err
	}
	if len(results) == 0 {
		return nil, fmt.Errorf("go test -bench %s %s ran no benchmark:\n%s", pattern, pkg, output)
	}
	return results, nil
}
