package argocd

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false,
	"rewrite config/argocd/argocd-cm.yaml, config/argocd/argo-cd-values.yaml and testdata/samples")

const (
	healthDir       = "../../config/argocd/health"
	configMapPath   = "../../config/argocd/argocd-cm.yaml"
	helmValuesPath  = "../../config/argocd/argo-cd-values.yaml"
	healthKeyPrefix = "resource.customizations.health."
)

// wantScripts are the "<group>_<Kind>" names the health checks must cover.
var wantScripts = []string{
	"gateway.networking.k8s.io_Gateway",
	"gateway.networking.k8s.io_HTTPRoute",
	"turnpike.dev_AuthPolicy",
	"turnpike.dev_RateLimitPolicy",
}

// loadScripts reads config/argocd/health/<group>_<Kind>.lua, keyed by "<group>_<Kind>".
func loadScripts(t testing.TB) map[string]string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(healthDir, "*.lua"))
	if err != nil {
		t.Fatal(err)
	}
	scripts := map[string]string{}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		scripts[strings.TrimSuffix(filepath.Base(path), ".lua")] = string(data)
	}
	return scripts
}

// scriptFor returns the script Argo CD would pick for obj: the key is the group of
// its apiVersion and its kind.
func scriptFor(t testing.TB, scripts map[string]string, obj map[string]any) string {
	t.Helper()
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	group, _, found := strings.Cut(apiVersion, "/")
	if !found {
		group = "" // the core group: "v1"
	}
	script, ok := scripts[group+"_"+kind]
	if !ok {
		t.Fatalf("no health script for %s %s", apiVersion, kind)
	}
	return script
}

func TestHealthScriptsCoverTurnpikesKinds(t *testing.T) {
	t.Parallel()
	scripts := loadScripts(t)
	var got []string
	for name, script := range scripts {
		got = append(got, name)
		if !strings.HasSuffix(script, "\n") || strings.HasSuffix(script, "\n\n") {
			t.Errorf("%s.lua must end with exactly one newline, so that the ConfigMap's block scalar keeps it byte for byte", name)
		}
		for i, line := range strings.Split(script, "\n") {
			if strings.TrimRight(line, " \t") != line || strings.Contains(line, "\t") {
				t.Errorf("%s.lua line %d has a tab or trailing blanks, which YAML block scalars mangle", name, i+1)
			}
		}
	}
	slices.Sort(got)
	if diff := cmp.Diff(wantScripts, got); diff != "" {
		t.Errorf("health scripts in %s (-want +got):\n%s", healthDir, diff)
	}
}

// TestPolicyScriptsAreIdentical keeps AuthPolicy's check in step with
// RateLimitPolicy's: both kinds carry PolicyStatus, and the script names the kind
// from obj.kind, so a fix to one must be made to the other.
func TestPolicyScriptsAreIdentical(t *testing.T) {
	t.Parallel()
	scripts := loadScripts(t)
	if diff := cmp.Diff(scripts["turnpike.dev_RateLimitPolicy"], scripts["turnpike.dev_AuthPolicy"]); diff != "" {
		t.Errorf("turnpike.dev_AuthPolicy.lua differs from turnpike.dev_RateLimitPolicy.lua (-rlp +auth):\n%s", diff)
	}
}

// indentBlock indents every non-empty line of script for a YAML literal block.
func indentBlock(script, indent string) string {
	var out strings.Builder
	for _, line := range strings.SplitAfter(script, "\n") {
		if strings.TrimSpace(line) != "" {
			out.WriteString(indent)
		}
		out.WriteString(line)
	}
	return out.String()
}

const generatedHeader = `# Generated from config/argocd/health/*.lua by
#   go test ./test/argocd -run TestArgoCDConfigIsCurrent -update
# Do not edit: change the .lua files and regenerate. docs/argocd.md says how to
# merge this into Argo CD's configuration.
`

// renderConfigMap is the argocd-cm snippet: one health customization per script.
func renderConfigMap(scripts map[string]string) []byte {
	var out bytes.Buffer
	out.WriteString(generatedHeader)
	out.WriteString(`apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
  namespace: argocd
  labels:
    app.kubernetes.io/name: argocd-cm
    app.kubernetes.io/part-of: argocd
data:
`)
	for _, name := range sortedKeys(scripts) {
		out.WriteString("  " + healthKeyPrefix + name + ": |\n")
		out.WriteString(indentBlock(scripts[name], "    "))
	}
	return out.Bytes()
}

// renderHelmValues is the same data as values for the argo-cd Helm chart, which
// writes configs.cm into argocd-cm.
func renderHelmValues(scripts map[string]string) []byte {
	var out bytes.Buffer
	out.WriteString(generatedHeader)
	out.WriteString("configs:\n  cm:\n")
	for _, name := range sortedKeys(scripts) {
		out.WriteString("    " + healthKeyPrefix + name + ": |\n")
		out.WriteString(indentBlock(scripts[name], "      "))
	}
	return out.Bytes()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for key := range m {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	return keys
}

// TestArgoCDConfigIsCurrent fails when the generated argocd-cm snippet or Helm
// values do not hold the scripts byte for byte (run with -update to regenerate),
// and proves that a YAML parser reads each script back unchanged.
func TestArgoCDConfigIsCurrent(t *testing.T) {
	t.Parallel()
	scripts := loadScripts(t)
	wantData := map[string]string{}
	for name, script := range scripts {
		wantData[healthKeyPrefix+name] = script
	}
	for _, file := range []struct {
		path   string
		render func(map[string]string) []byte
		data   func(t *testing.T, raw []byte) map[string]string
	}{
		{configMapPath, renderConfigMap, func(t *testing.T, raw []byte) map[string]string {
			var cm corev1.ConfigMap
			if err := yaml.UnmarshalStrict(raw, &cm); err != nil {
				t.Fatalf("parse %s: %v", configMapPath, err)
			}
			if cm.Kind != "ConfigMap" || cm.Name != "argocd-cm" {
				t.Errorf("%s is %s %s, want ConfigMap argocd-cm", configMapPath, cm.Kind, cm.Name)
			}
			return cm.Data
		}},
		{helmValuesPath, renderHelmValues, func(t *testing.T, raw []byte) map[string]string {
			var values struct {
				Configs struct {
					CM map[string]string `json:"cm"`
				} `json:"configs"`
			}
			if err := yaml.UnmarshalStrict(raw, &values); err != nil {
				t.Fatalf("parse %s: %v", helmValuesPath, err)
			}
			return values.Configs.CM
		}},
	} {
		t.Run(filepath.Base(file.path), func(t *testing.T) {
			rendered := file.render(scripts)
			if *update {
				if err := os.WriteFile(file.path, rendered, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			onDisk, err := os.ReadFile(file.path)
			if err != nil {
				t.Fatalf("read %s (run with -update to create it): %v", file.path, err)
			}
			if diff := cmp.Diff(strings.Split(string(rendered), "\n"), strings.Split(string(onDisk), "\n")); diff != "" {
				t.Errorf("%s is stale; run go test ./test/argocd -update (-want +got):\n%s", file.path, diff)
			}
			if diff := cmp.Diff(wantData, file.data(t, onDisk)); diff != "" {
				t.Errorf("%s does not hold the scripts byte for byte (-want +got):\n%s", file.path, diff)
			}
		})
	}
}
