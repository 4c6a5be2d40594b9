package layering

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// goListDeps runs `go list -deps -json ./...` from the module root and returns every
// package in the build graph with its transitive dependencies.
func goListDeps(t *testing.T) []Package {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-test=false", "-json=ImportPath,Imports,Deps,Standard", "./...")
	cmd.Dir = "../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list failed: %v\n%s", err, stderr.String())
	}
	var pkgs []Package
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p Package
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func TestLayering(t *testing.T) {
	pkgs := goListDeps(t)
	governed := map[string]int{}
	for _, p := range pkgs {
		for _, rule := range Rules() {
			if !p.Standard && rule.Applies(p.ImportPath) {
				governed[rule.Name]++
			}
		}
	}
	// A rule that governs no package checks nothing: that would be a renamed
	// directory silently escaping the table.
	for _, rule := range Rules() {
		if governed[rule.Name] == 0 {
			t.Errorf("rule %q applies to no package; has a directory moved?", rule.Name)
		}
	}
	if violations := Check(pkgs, Rules()); len(violations) > 0 {
		t.Errorf("the import table of STYLE.md is broken:\n%s", strings.Join(violations, "\n"))
	}
}

// TestCheckCatchesViolations proves the checker can fail, on a made-up graph.
func TestCheckCatchesViolations(t *testing.T) {
	t.Parallel()
	pkgs := []Package{
		{ImportPath: "fmt", Standard: true},
		{ImportPath: Module + "/dataplane/snapshot", Imports: []string{"fmt", "github.com/google/cel-go/cel", "github.com/example/other"},
			Deps: []string{"fmt", "github.com/google/cel-go/cel", "github.com/example/other", "k8s.io/apimachinery/pkg/types"}},
		{ImportPath: Module + "/dataplane/router", Deps: []string{"fmt", Module + "/dataplane/snapshot", "sigs.k8s.io/yaml"}},
		{ImportPath: Module + "/controllers/compiler", Deps: []string{Module + "/dataplane/router", "github.com/valyala/fasthttp"}},
		{ImportPath: Module + "/controllers", Deps: []string{Module + "/dataplane/snapshot", "sigs.k8s.io/controller-runtime/pkg/client"}},
		{ImportPath: Module + "/api/v1alpha1", Deps: []string{Module + "/controllers"}},
	}
	got := Check(pkgs, Rules())
	want := []string{
		"/api/v1alpha1 depends on " + Module + "/controllers",
		"/controllers/compiler depends on " + Module + "/dataplane/router",
		"/controllers/compiler depends on github.com/valyala/fasthttp",
		"/dataplane/router depends on sigs.k8s.io/yaml",
		"/dataplane/snapshot depends on k8s.io/apimachinery/pkg/types",
		"/dataplane/snapshot depends on github.com/example/other",
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			if strings.Contains(g, w) {
				found = true
			}
		}
		if !found {
			t.Errorf("expected a violation containing %q; got:\n%s", w, strings.Join(got, "\n"))
		}
	}
	for _, g := range got {
		if strings.Contains(g, "depends on github.com/google/cel-go") {
			t.Errorf("the snapshot may hold compiled CEL programs, but got %q", g)
		}
		if strings.HasPrefix(g, Module+"/controllers depends on") {
			t.Errorf("controllers may import snapshot and controller-runtime, but got %q", g)
		}
	}
}
