package standalone

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
	kjson "sigs.k8s.io/json"
	sigsyaml "sigs.k8s.io/yaml"
)

// rawDocument is one object-to-be: a non-empty YAML document, JSON value or List
// item, parsed into unstructured content.
type rawDocument struct {
	place docPlace
	// text is what the document was parsed from (the items of a List share theirs).
	text    docText
	content map[string]any
	// duplicateFields are the paths of keys given twice. They do not hide what the
	// document is, but make the object invalid.
	duplicateFields []string
}

// docText identifies one document text of a file: a YAML document or a JSON value.
type docText struct {
	// hash covers the text and its format: equal hashes parse and validate alike.
	hash [sha256.Size]byte
	// index counts the texts of the file from 0, empty ones included.
	index int
	// startLine is the file line the text starts on.
	startLine int
}

// The formats of document texts, as hashed.
const (
	yamlText = 'y'
	jsonText = 'j'
)

func newDocText(format byte, text []byte, index, startLine int) docText {
	h := sha256.New()
	h.Write([]byte{format})
	h.Write(text)
	t := docText{index: index, startLine: startLine}
	h.Sum(t.hash[:0])
	return t
}

// documentSink receives the documents of a file, in file order, as they are
// parsed. They are streamed rather than collected so that only a few documents'
// parse trees (the YAML nodes that give errors their lines) are alive at a time:
// for a file of 10,000 objects the trees of all of them took more memory than the
// objects themselves.
type documentSink interface {
	// reuse is offered each document text before it is parsed, with the document
	// number it gets. If it returns true, it has handed out what the text gave
	// before (see decodeFiles), and the text is not parsed.
	reuse(text docText, document int) bool
	// use receives a document.
	use(doc rawDocument)
	// unidentified receives the problem with a document that cannot be told
	// apart from others (not a mapping, a List item that is not an object): it
	// leaves the file incomplete.
	unidentified(text docText, err error)
}

// parseFile splits a file into documents and hands each to sink. A syntax error
// anywhere means the file cannot be parsed at all: it is returned alone, and the
// caller must drop whatever sink was given, so that a half-typed file does not
// make objects disappear.
func parseFile(file string, data []byte, sink documentSink) error {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // UTF-8 byte order mark
	if strings.EqualFold(path.Ext(file), ".json") {
		return parseJSONFile(file, data, sink)
	}
	return parseYAMLFile(file, data, sink)
}

// yamlChunk is the text of one YAML document and the file line it starts at.
type yamlChunk struct {
	text      []byte
	startLine int
}

// splitYAMLDocuments splits at "---" lines, as kubectl does: the separator may be
// followed by a comment but nothing else.
func splitYAMLDocuments(file string, data []byte) ([]yamlChunk, error) {
	var chunks []yamlChunk
	current := yamlChunk{startLine: 1}
	scanner := bufio.NewScanner(bytes.NewReader(data))
	scanner.Buffer(make([]byte, 0, 64*1024), len(data)+1)
	lineNumber := 0
	for scanner.Scan() {
		lineNumber++
		line := scanner.Bytes()
		if rest, ok := bytes.CutPrefix(line, []byte("---")); ok {
			trimmed := bytes.TrimSpace(rest)
			if len(trimmed) > 0 && trimmed[0] != '#' {
				return nil, &Error{File: file, Line: lineNumber,
					Message: fmt.Sprintf("invalid document separator %q: only a comment may follow \"---\"", string(line))}
			}
			chunks = append(chunks, current)
			current = yamlChunk{startLine: lineNumber + 1}
			continue
		}
		current.text = append(current.text, line...)
		current.text = append(current.text, '\n')
	}
	if err := scanner.Err(); err != nil {
		return nil, &Error{File: file, Message: "cannot split into documents", Err: err}
	}
	return append(chunks, current), nil
}

var yamlErrorLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlSyntaxError turns a YAML parser error into an Error on the right file line.
func yamlSyntaxError(file string, document, startLine int, err error) *Error {
	message := err.Error()
	line := startLine
	if m := yamlErrorLine.FindStringSubmatch(message); m != nil {
		n, _ := strconv.Atoi(m[1])
		line, message = startLine+n-1, m[2]
	}
	return &Error{File: file, Line: line, Document: document,
		Message: "YAML syntax error: " + message, Err: err}
}

func parseYAMLFile(file string, data []byte, sink documentSink) error {
	chunks, err := splitYAMLDocuments(file, data)
	if err != nil {
		return err
	}
	document := 0
	for index, chunk := range chunks {
		text := newDocText(yamlText, chunk.text, index, chunk.startLine)
		if sink.reuse(text, document+1) {
			document++ // only a document that gave objects is reused: it is not empty
			continue
		}
		var node yamlv3.Node
		if err := yamlv3.Unmarshal(chunk.text, &node); err != nil {
			return yamlSyntaxError(file, document+1, chunk.startLine, err)
		}
		if isEmptyDocument(&node) {
			continue // kubectl skips empty documents too
		}
		document++
		root := resolveAlias(node.Content[0])
		place := docPlace{file: file, document: document, line: chunk.startLine + root.Line - 1,
			lines: &lineIndex{root: root, offset: chunk.startLine - 1}}
		if root.Kind != yamlv3.MappingNode {
			sink.unidentified(text, place.errorf("a document must be an object (a YAML mapping), not %s", nodeKindName(root)))
			continue
		}
		// Converted the way kubectl converts, so that scalars resolve the same way
		// (YAML 1.1 booleans and all).
		jsonData, err := sigsyaml.YAMLToJSON(chunk.text)
		if err != nil {
			return yamlSyntaxError(file, document, chunk.startLine, err)
		}
		content, err := unmarshalObject(jsonData)
		if err != nil {
			return &Error{File: file, Line: place.line, Document: document,
				Message: "cannot convert to JSON", Err: err}
		}
		addDocument(sink, rawDocument{place: place, text: text, content: content, duplicateFields: duplicateKeys(root, "")})
	}
	return nil
}

func isEmptyDocument(node *yamlv3.Node) bool {
	if node.Kind == 0 || len(node.Content) == 0 {
		return true
	}
	root := node.Content[0]
	return root.Kind == yamlv3.ScalarNode && root.Tag == "!!null"
}

func nodeKindName(node *yamlv3.Node) string {
	switch node.Kind {
	case yamlv3.SequenceNode:
		return "a list"
	case yamlv3.ScalarNode:
		return fmt.Sprintf("the value %q", node.Value)
	default:
		return "this"
	}
}

// duplicateKeys returns the field paths of keys that appear twice in one mapping.
// The YAML-to-JSON conversion would silently keep the last one; the API server
// rejects duplicate fields in strict mode, and so do we.
func duplicateKeys(node *yamlv3.Node, path string) []string {
	var found []string
	switch node.Kind {
	case yamlv3.MappingNode:
		seen := make(map[string]bool, len(node.Content)/2)
		for i := 0; i+1 < len(node.Content); i += 2 {
			key := node.Content[i].Value
			if key == "<<" { // merge key: its entries may repeat by design
				continue
			}
			childPath := joinFieldPath(path, key)
			if seen[key] {
				found = append(found, childPath)
				continue
			}
			seen[key] = true
			found = append(found, duplicateKeys(node.Content[i+1], childPath)...)
		}
	case yamlv3.SequenceNode:
		for i, item := range node.Content {
			found = append(found, duplicateKeys(item, path+"["+strconv.Itoa(i)+"]")...)
		}
	}
	return found
}

func joinFieldPath(parent, key string) string {
	if strings.ContainsAny(key, ".[]") {
		return parent + "[" + key + "]"
	}
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// addDocument hands a document to sink, expanding a v1 List into its items.
func addDocument(sink documentSink, doc rawDocument) {
	if doc.content["apiVersion"] != "v1" || doc.content["kind"] != "List" {
		sink.use(doc)
		return
	}
	items, ok := doc.content["items"].([]any)
	if !ok && doc.content["items"] != nil {
		sink.unidentified(doc.text, doc.place.fieldError("items", "must be a list of objects"))
		return
	}
	var itemsNode *yamlv3.Node
	if root := doc.place.lines.node(); root != nil {
		itemsNode, _ = child(root, "items")
	}
	claimed := make([]bool, len(doc.duplicateFields))
	for i, item := range items {
		place := doc.place
		place.item = i + 1
		if itemsNode != nil {
			if itemNode, line := child(itemsNode, strconv.Itoa(i)); itemNode != nil {
				place.line = line + place.lines.offset
				place.lines = &lineIndex{root: resolveAlias(itemNode), offset: place.lines.offset}
			}
		}
		content, ok := item.(map[string]any)
		if !ok {
			sink.unidentified(doc.text, place.errorf("a List item must be an object"))
			continue
		}
		itemDoc := rawDocument{place: place, text: doc.text, content: content}
		prefix := "items[" + strconv.Itoa(i) + "]"
		for j, path := range doc.duplicateFields {
			if rest, ok := strings.CutPrefix(path, prefix); ok {
				claimed[j] = true
				itemDoc.duplicateFields = append(itemDoc.duplicateFields, strings.TrimPrefix(rest, "."))
			}
		}
		sink.use(itemDoc)
	}
	// A duplicate key in the List itself (say "items" twice) blurs what it holds.
	for j, path := range doc.duplicateFields {
		if !claimed[j] {
			sink.unidentified(doc.text, doc.place.fieldError(path, "duplicate field"))
		}
	}
}

// unmarshalObject decodes a JSON object the way the API machinery does for
// unstructured content: case-sensitive, integers kept as int64.
func unmarshalObject(data []byte) (map[string]any, error) {
	var content map[string]any
	if err := kjson.UnmarshalCaseSensitivePreserveInts(data, &content); err != nil {
		return nil, fmt.Errorf("decoding JSON: %w", err)
	}
	return content, nil
}
