package standalone

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/turnpike-gateway/turnpike/controllers/compiler"
)

// decodeSummary is what tests compare of a file's decode result.
type decodeSummary struct {
	Unparseable, Incomplete bool
	Docs                    []docSummaryLine
	Errors                  []string
}

type docSummaryLine struct {
	Place string // file:line (document N, item M)
	Key   string
	Valid bool
	Hash  string
}

func summarizeResult(result *fileResult) decodeSummary {
	summary := decodeSummary{Unparseable: result.unparseable, Incomplete: result.incomplete}
	for _, doc := range result.docs {
		summary.Docs = append(summary.Docs, docSummaryLine{
			Place: doc.place.ref(), Key: doc.key.String(), Valid: doc.obj != nil, Hash: fmt.Sprintf("%x", doc.contentHash[:4]),
		})
	}
	for _, err := range result.errs {
		summary.Errors = append(summary.Errors, err.Error())
	}
	return summary
}

func TestDecodeFilesReusesUnchangedTexts(t *testing.T) {
	t.Parallel()
	badService := serviceYAML("bad", 0, "")
	list := "apiVersion: v1\nkind: List\nitems:\n- " + indentItem(serviceYAML("item-a", 80, "")) + "- " + indentItem(serviceYAML("item-b", 81, ""))
	tests := []struct {
		name          string
		file          string
		before, after string
		// wantReused is how many documents of after keep the objects of before.
		wantReused int
	}{
		{
			name:       "documents shift down and change",
			file:       "app.yaml",
			before:     joinDocs(serviceYAML("web", 80, ""), routeYAML("web", "PathPrefix", "/"), badService, list),
			after:      joinDocs("# new\n"+serviceYAML("first", 80, ""), "", serviceYAML("web", 80, ""), badService, routeYAML("web", "Exact", "/"), list),
			wantReused: 3, // Service web and both List items; the bad Service is decoded again for its errors
		},
		{
			name:       "a List with a bad item is decoded again",
			file:       "app.yaml",
			before:     list + "- 42\n",
			after:      serviceYAML("first", 80, "") + "---\n" + list + "- 42\n",
			wantReused: 0,
		},
		{
			name:       "JSON values",
			file:       "app.json",
			before:     `{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}]}}` + "\n[1]\n",
			after:      "\n\n" + `{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "apps"}}` + "\n[1]\n" + `{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}]}}` + "\n",
			wantReused: 1,
		},
		{
			name:       "a file that no longer parses reuses nothing",
			file:       "app.yaml",
			before:     serviceYAML("web", 80, ""),
			after:      serviceYAML("web", 80, "") + "---\nkind: [Service\n",
			wantReused: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			before := decodeFiles([]sourceFile{{path: "old/" + tt.file, data: []byte(tt.before)}}, nil)[0]
			fresh := decodeFiles([]sourceFile{{path: tt.file, data: []byte(tt.after)}}, nil)[0]
			reused := decodeFiles([]sourceFile{{path: tt.file, data: []byte(tt.after)}}, before.reusable)[0]
			if diff := cmp.Diff(summarizeResult(fresh), summarizeResult(reused)); diff != "" {
				t.Errorf("decoding with known texts differs from decoding afresh (-fresh +reused):\n%s", diff)
			}
			beforeObjects := map[object]bool{}
			for _, doc := range before.docs {
				beforeObjects[doc.obj] = doc.obj != nil
			}
			reusedCount := 0
			for _, doc := range reused.docs {
				if beforeObjects[doc.obj] {
					reusedCount++
				}
			}
			if reusedCount != tt.wantReused {
				t.Errorf("%d documents kept the objects decoded before, want %d", reusedCount, tt.wantReused)
			}
		})
	}
}

// indentItem indents a YAML document to be a List item after "- ".
func indentItem(document string) string {
	return regexp.MustCompile(`\n(.)`).ReplaceAllString(document, "\n  $1")
}

// historyFields are the server fields that depend on the history of a Source
// rather than on the directory's content alone.
var historyFields = regexp.MustCompile(`(?m)^\s*(resourceVersion|generation): .*\n`)

func TestSourceReloadMatchesFreshLoad(t *testing.T) {
	t.Parallel()
	steps := []struct {
		name  string
		files map[string]string // content by name; "" removes the file
		// kept tells that the Source keeps objects a fresh load would not have.
		kept bool
	}{
		{name: "first load", files: map[string]string{
			"a.yaml": joinDocs(serviceYAML("web", 80, ""), routeYAML("web", "PathPrefix", "/"), serviceYAML("api", 80, "")),
			"b.json": `{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "json"}, "spec": {"ports": [{"port": 80}]}}`,
		}},
		{name: "a document inserted above, another changed", files: map[string]string{
			"a.yaml": joinDocs(serviceYAML("first", 80, ""), serviceYAML("web", 80, ""), routeYAML("web", "PathPrefix", "/"), serviceYAML("api", 81, "")),
		}},
		{name: "a typo", kept: true, files: map[string]string{
			"a.yaml": joinDocs(serviceYAML("first", 80, ""), "kind: [Service\n", routeYAML("web", "PathPrefix", "/")),
		}},
		{name: "fixed, and the route defined otherwise in a file before", files: map[string]string{
			"a.yaml": joinDocs(serviceYAML("first", 80, ""), serviceYAML("web", 80, ""), routeYAML("web", "PathPrefix", "/"), serviceYAML("api", 81, "")),
			"0.yaml": routeYAML("web", "PathPrefix", "/zero"),
		}},
		{name: "the other definition removed: the first one is back", files: map[string]string{
			"0.yaml": "",
		}},
		{name: "the route moved to its own file, an invalid one added", kept: true, files: map[string]string{
			"a.yaml": joinDocs(serviceYAML("first", 80, ""), serviceYAML("web", 0, ""), serviceYAML("api", 81, "")),
			"c.yaml": routeYAML("web", "PathPrefix", "/"),
		}},
		{name: "the invalid one fixed", files: map[string]string{
			"a.yaml": joinDocs(serviceYAML("first", 80, ""), serviceYAML("web", 80, ""), serviceYAML("api", 81, "")),
		}},
	}
	dir := t.TempDir()
	source := newTestSource(dir, testEpoch)
	// Inputs are read-only: no later reload may change one handed out before.
	type handedOut struct {
		input compiler.Input
		yaml  string
	}
	var inputs []handedOut
	for _, step := range steps {
		for name, content := range step.files {
			if content == "" {
				if err := os.Remove(filepath.Join(dir, name)); err != nil {
					t.Fatal(err)
				}
				continue
			}
			writeFile(t, dir, name, content)
		}
		got, gotErrs := source.Reload()
		inputs = append(inputs, handedOut{got, marshal(t, got)})
		want, wantErrs := newTestSource(dir, testEpoch).Reload()
		if diff := cmp.Diff(errorStrings(wantErrs), errorStrings(gotErrs)); diff != "" {
			t.Errorf("%s: errors differ from a fresh load (-fresh +reloaded):\n%s", step.name, diff)
		}
		if step.kept {
			continue
		}
		if diff := cmp.Diff(contentOf(t, want), contentOf(t, got)); diff != "" {
			t.Errorf("%s: objects differ from a fresh load (-fresh +reloaded):\n%s", step.name, diff)
		}
	}
	for i, handed := range inputs {
		if diff := cmp.Diff(handed.yaml, marshal(t, handed.input)); diff != "" {
			t.Errorf("the Input of step %q changed after it was handed out (-then +now):\n%s", steps[i].name, diff)
		}
	}
}

func errorStrings(errs []error) []string {
	var out []string
	for _, err := range errs {
		out = append(out, err.Error())
	}
	return out
}

// contentOf is the Input as YAML without the fields that depend on history.
func contentOf(t *testing.T, input compiler.Input) string {
	t.Helper()
	return historyFields.ReplaceAllString(marshal(t, input), "")
}

func marshal(t *testing.T, input compiler.Input) string {
	t.Helper()
	data, err := yaml.Marshal(input)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
