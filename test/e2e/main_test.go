package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/turnpike-gateway/turnpike/test/internal/harness"
)

var (
	turnpikeBin string
	backendBin  string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "turnpike-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	turnpikeBin = filepath.Join(dir, "turnpike")
	backendBin = filepath.Join(dir, "example-backend")
	for pkg, out := range map[string]string{"./cmd/turnpike": turnpikeBin, "./examples/backend": backendBin} {
		cmd := exec.Command("go", "build", "-race", "-o", out, pkg)
		cmd.Dir = "../.."
		if output, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n%s", pkg, err, output)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// freePort returns a free loopback port for the turnpike process to bind (see
// harness.FreePorts for why it is not a ":0" port).
func freePort(t *testing.T) int {
	t.Helper()
	ports, err := harness.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	return ports[0]
}

// quickstartPorts are the ports examples/quickstart uses.
type quickstartPorts struct {
	listener, hello1, hello2, api int
}

// copyQuickstart copies examples/quickstart into a temporary directory, moving its
// fixed ports to free ones so that the test can run next to a `make run`. Nothing
// else in the files changes: the test serves the example as documented.
func copyQuickstart(t *testing.T) (string, quickstartPorts) {
	t.Helper()
	ports := quickstartPorts{freePort(t), freePort(t), freePort(t), freePort(t)}
	replacer := strings.NewReplacer(
		"port: 8080", fmt.Sprintf("port: %d", ports.listener),
		"port: 9001", fmt.Sprintf("port: %d", ports.hello1),
		"port: 9002", fmt.Sprintf("port: %d", ports.hello2),
		"port: 9003", fmt.Sprintf("port: %d", ports.api),
		"targetPort: 9001", fmt.Sprintf("targetPort: %d", ports.hello1),
		"targetPort: 9003", fmt.Sprintf("targetPort: %d", ports.api),
	)
	src := filepath.Join("..", "..", "examples", "quickstart")
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), []byte(replacer.Replace(string(data))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst, ports
}

// writeAtomically saves a file the way editors and `kubectl cp` do: write a
// temporary file, then rename it over the old one.
func writeAtomically(t *testing.T, path string, data []byte) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// lockedBuffer collects a process's output for failure messages.
type lockedBuffer struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func newLockedBuffer() *lockedBuffer { return &lockedBuffer{mu: make(chan struct{}, 1)} }

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.String()
}
