package harness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ModuleRoot is the directory of the go.mod that holds the harness, so that the
// build and the examples are those of the current source wherever it runs from.
func ModuleRoot(ctx context.Context) (string, error) {
	output, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(output))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("run the harness from inside the turnpike module (go env GOMOD is %q)", gomod)
	}
	return filepath.Dir(gomod), nil
}

// BuildTurnpike builds cmd/turnpike of the module at root into dir and returns the
// binary's path. It is an optimised build without the race detector: the figures
// are those of what users run.
func BuildTurnpike(ctx context.Context, root, dir string) (string, error) {
	binary := filepath.Join(dir, "turnpike")
	build := exec.CommandContext(ctx, "go", "build", "-o", binary, "./cmd/turnpike")
	build.Dir = root
	if output, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/turnpike: %w\n%s", err, output)
	}
	return binary, nil
}
