package helm

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata from the chart's current rendering")

// releaseName and releaseNamespace are those the README's install command uses.
const (
	releaseName      = "turnpike"
	releaseNamespace = "turnpike-system"
)

// render is `helm template` of the chart with extra arguments (values files, --set).
func render(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return runHelm(t, append([]string{"template", releaseName, chartDir, "--namespace", releaseNamespace}, args...)...)
}

func TestLint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
	}{
		{name: "default values"},
		{name: "default values, strict", args: []string{"--strict"}},
		{name: "custom values, strict", args: []string{"--strict", "--values", filepath.Join("testdata", "custom.values.yaml")}},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			out := mustHelm(t, append([]string{"lint", chartDir, "--namespace", releaseNamespace}, test.args...)...)
			if !strings.Contains(out, "0 chart(s) failed") {
				t.Errorf("helm lint did not pass:\n%s", out)
			}
		})
	}
}

// TestTemplateGolden compares `helm template` with testdata/<case>.golden.yaml; run
// with -update to rewrite them after an intended change, and review the diff.
func TestTemplateGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		valuesFile string
	}{
		{name: "default"},
		{name: "custom", valuesFile: "custom.values.yaml"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			var args []string
			if test.valuesFile != "" {
				args = []string{"--values", filepath.Join("testdata", test.valuesFile)}
			}
			got, err := render(t, args...)
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", test.name+".golden.yaml")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./test/helm -run TestTemplateGolden -update)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("helm template differs from %s (-want +got); if intended, rerun with -update:\n%s", golden, diff)
			}
		})
	}
}

// TestValuesSchemaRejectsMistakes shows that values.schema.json turns a typo or a
// wrong type into an install-time error that names the key.
func TestValuesSchemaRejectsMistakes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		set     string
		wantErr []string
	}{
		{name: "misspelt top-level key", set: "replicaCont=3",
			wantErr: []string{"values don't meet the specifications of the schema", "additional properties 'replicaCont' not allowed"}},
		{name: "misspelt nested key", set: "image.tagg=v1",
			wantErr: []string{"/image", "additional properties 'tagg' not allowed"}},
		{name: "misspelt deeply nested key", set: "metrics.serviceMonitor.enable=true",
			wantErr: []string{"/metrics/serviceMonitor", "additional properties 'enable' not allowed"}},
		{name: "wrong type", set: "replicaCount=two",
			wantErr: []string{"/replicaCount", "got string, want integer"}},
		{name: "unknown log level", set: "controller.logLevel=verbose",
			wantErr: []string{"/controller/logLevel", "value must be one of"}},
		{name: "privileged admin port", set: "admin.port=80",
			wantErr: []string{"/admin/port", "minimum"}},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			out, err := render(t, "--set", test.set)
			if err == nil {
				t.Fatalf("helm template --set %s succeeded; want a schema error. Output:\n%s", test.set, out)
			}
			for _, want := range test.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("helm template --set %s: error does not say %q:\n%v", test.set, want, err)
				}
			}
		})
	}
}
