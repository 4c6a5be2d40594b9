package standalone

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitFieldPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path string
		want []string
	}{
		{"", nil},
		{"spec", []string{"spec"}},
		{"spec.rules[0].matches[12].path", []string{"spec", "rules", "0", "matches", "12", "path"}},
		{"metadata.labels[kubernetes.io/service-name]", []string{"metadata", "labels", "kubernetes.io/service-name"}},
		{"data[tls.crt]", []string{"data", "tls.crt"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, splitFieldPath(tt.path)); diff != "" {
			t.Errorf("splitFieldPath(%q) (-want +got):\n%s", tt.path, diff)
		}
	}
}

// docSummary is what tests compare of a parsed document.
type docSummary struct {
	Document, Item, Line int
	Name                 string
	DuplicateFields      []string
}

// collectedDocuments is everything parseFile hands out for one file.
type collectedDocuments struct {
	docs     []rawDocument
	problems []error // of unidentified documents
}

func (c *collectedDocuments) reuse(docText, int) bool           { return false }
func (c *collectedDocuments) use(doc rawDocument)               { c.docs = append(c.docs, doc) }
func (c *collectedDocuments) unidentified(_ docText, err error) { c.problems = append(c.problems, err) }

// parseAll parses a file and collects its documents.
func parseAll(file string, data []byte) (collectedDocuments, error) {
	var parsed collectedDocuments
	err := parseFile(file, data, &parsed)
	return parsed, err
}

func summarize(parsed collectedDocuments) []docSummary {
	var out []docSummary
	for _, doc := range parsed.docs {
		metadata, _ := doc.content["metadata"].(map[string]any)
		name, _ := metadata["name"].(string)
		out = append(out, docSummary{doc.place.document, doc.place.item, doc.place.line, name, doc.duplicateFields})
	}
	return out
}

func TestParseFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		file             string
		content          string
		want             []docSummary
		wantUnidentified int
	}{
		{
			name: "empty documents are not counted",
			file: "a.yaml",
			content: "---\n# only a comment\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: one\n" +
				"--- # a comment may follow the separator\n\n---\nkind: Namespace\nmetadata: {name: two}\n",
			want: []docSummary{{1, 0, 4, "one", nil}, {2, 0, 11, "two", nil}},
		},
		{
			name:    "byte order mark",
			file:    "a.yml",
			content: "\xef\xbb\xbfkind: Namespace\nmetadata: {name: one}\n",
			want:    []docSummary{{1, 0, 1, "one", nil}},
		},
		{
			name: "merge keys are not duplicates, repeated keys are",
			file: "a.yaml",
			content: "base: &base {a: 1}\nkind: Namespace\nmetadata:\n  name: one\n  labels:\n    <<: *base\n    b: '2'\n" +
				"  name: two\n",
			want: []docSummary{{1, 0, 1, "two", []string{"metadata.name"}}},
		},
		{
			name:    "JSON stream with tabs",
			file:    "a.json",
			content: "{\n\t\"kind\": \"Namespace\",\n\t\"metadata\": {\"name\": \"one\"}\n}\n{\"kind\": \"Namespace\", \"metadata\": {\"name\": \"two\", \"name\": \"three\"}}\n",
			want:    []docSummary{{1, 0, 1, "one", nil}, {2, 0, 5, "three", []string{"metadata.name"}}},
		},
		{
			name: "List items",
			file: "a.yaml",
			content: "apiVersion: v1\nkind: List\nitems:\n- kind: Namespace\n  metadata: {name: one}\n- just a string\n" +
				"- kind: Namespace\n  metadata:\n    name: three\n    name: four\n",
			want:             []docSummary{{1, 1, 4, "one", nil}, {1, 3, 7, "four", []string{"metadata.name"}}},
			wantUnidentified: 1,
		},
		{
			name:             "scalar document",
			file:             "a.yaml",
			content:          "kind: Namespace\nmetadata: {name: one}\n---\njust text\n",
			want:             []docSummary{{1, 0, 1, "one", nil}},
			wantUnidentified: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			parsed, err := parseAll(tt.file, []byte(tt.content))
			if err != nil {
				t.Fatalf("parseFile: %v", err)
			}
			if diff := cmp.Diff(tt.want, summarize(parsed)); diff != "" {
				t.Errorf("documents (-want +got):\n%s", diff)
			}
			if len(parsed.problems) != tt.wantUnidentified {
				t.Errorf("unidentified = %v, want %d", parsed.problems, tt.wantUnidentified)
			}
		})
	}
}

func TestLineOfPointsAtTheField(t *testing.T) {
	t.Parallel()
	content := "kind: Service\nmetadata:\n  name: web\n  labels:\n    app.kubernetes.io/name: web\nspec:\n  ports:\n  - port: 80\n  - port: 81\n    name: b\n"
	parsed, err := parseAll("a.yaml", []byte("---\n"+content))
	if err != nil {
		t.Fatal(err)
	}
	lines := parsed.docs[0].place.lines
	tests := []struct {
		path string
		want int
	}{
		{"kind", 2},
		{"metadata.labels[app.kubernetes.io/name]", 6},
		{"spec.ports[1]", 10},
		{"spec.ports[1].name", 11},
		{"spec.ports[1].missing.deeper", 10}, // the deepest node that exists
		{"spec.ports[7]", 8},
		{"nothing", 0},
	}
	for _, tt := range tests {
		if got := lines.lineOf(tt.path); got != tt.want {
			t.Errorf("lineOf(%q) = %d, want %d", tt.path, got, tt.want)
		}
	}
}
