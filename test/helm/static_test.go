package helm

import (
	"debug/buildinfo"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestStaticBuild builds cmd/turnpike as the Dockerfile and `make build-static` do and
// checks that the result runs on a base image without libc (distroless static): no
// ELF interpreter, no shared library, and built with CGO_ENABLED=0.
func TestStaticBuild(t *testing.T) {
	t.Parallel()
	binary := filepath.Join(t.TempDir(), "turnpike-static")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X main.version=test", "-o", binary, "./cmd/turnpike")
	build.Dir = repoRoot
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if output, err := build.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build ./cmd/turnpike: %v\n%s", err, output)
	}

	file, err := elf.Open(binary)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	for _, program := range file.Progs {
		if program.Type == elf.PT_INTERP {
			t.Errorf("the binary has an ELF interpreter (PT_INTERP): it is dynamically linked")
		}
	}
	libraries, err := file.ImportedLibraries()
	if err != nil {
		t.Fatal(err)
	}
	if len(libraries) != 0 {
		t.Errorf("the binary needs shared libraries %q", libraries)
	}

	info, err := buildinfo.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	for _, setting := range info.Settings {
		settings[setting.Key] = setting.Value
	}
	if settings["CGO_ENABLED"] != "0" {
		t.Errorf("go version -m says CGO_ENABLED=%q, want 0", settings["CGO_ENABLED"])
	}
	if info.Path != "github.com/turnpike-gateway/turnpike/cmd/turnpike" {
		t.Errorf("main package %q", info.Path)
	}
}
