package helm

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

// helmVersion is the helm that hack/tools.sh builds; keep the two in step.
const helmVersion = "v3.22.0"

var (
	// repoRoot is the module root; the chart and the generated manifests are under it.
	repoRoot = filepath.Join("..", "..")
	chartDir = filepath.Join(repoRoot, "charts", "turnpike")
	// turnpikeBin is the binary the install test runs, built once in TestMain.
	turnpikeBin string
)

func TestMain(m *testing.M) {
	ctrllog.SetLogger(logr.Discard()) // envtest's own progress lines are noise here
	dir, err := os.MkdirTemp("", "turnpike-helm-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	turnpikeBin = filepath.Join(dir, "turnpike")
	// The same build as test/e2e's, so that the Go build cache serves both.
	build := exec.Command("go", "build", "-race", "-o", turnpikeBin, "./cmd/turnpike")
	build.Dir = repoRoot
	if output, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building ./cmd/turnpike: %v\n%s", err, output)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// helmBinary is the pinned helm under bin/tools, or a failure that says how to get it.
func helmBinary(t *testing.T) string {
	t.Helper()
	path, err := filepath.Abs(filepath.Join(repoRoot, "bin", "tools", "helm-"+helmVersion))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("no helm %s at %s: run hack/tools.sh helm", helmVersion, path)
	}
	return path
}

// runHelm runs helm with its config, cache and data in a temporary directory (never
// the user's own) and returns stdout; err carries stderr.
func runHelm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(helmBinary(t), args...)
	cmd.Env = append(os.Environ(),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"),
		"HELM_NAMESPACE=", "KUBECONFIG="+filepath.Join(home, "no-kubeconfig"),
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("helm %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

// mustHelm is runHelm that fails the test on an error.
func mustHelm(t *testing.T, args ...string) string {
	t.Helper()
	out, err := runHelm(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
