package standalone

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	yamlv3 "go.yaml.in/yaml/v3"
	kjson "sigs.k8s.io/json"
)

// parseJSONFile reads a stream of JSON values, each one document.
func parseJSONFile(file string, data []byte) (parsedFile, error) {
	var parsed parsedFile
	decoder := json.NewDecoder(bytes.NewReader(data))
	for document := 1; ; document++ {
		offset := decoder.InputOffset()
		var raw json.RawMessage
		err := decoder.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return parsed, nil
		}
		if err != nil {
			return parsedFile{}, jsonSyntaxError(file, document, data, offset, err)
		}
		start := offset + int64(len(data[offset:])-len(bytes.TrimLeft(data[offset:], " \t\r\n")))
		startLine := lineAt(data, start)
		place := docPlace{file: file, document: document, line: startLine, lines: jsonLineIndex(raw, startLine)}
		var content map[string]any
		strictErrs, err := kjson.UnmarshalStrict(raw, &content, kjson.DisallowDuplicateFields)
		if err != nil || content == nil {
			parsed.unidentified = append(parsed.unidentified,
				place.errorf("a JSON value must be an object, not %s", firstToken(raw)))
			continue
		}
		doc := rawDocument{place: place, content: content}
		for _, strictErr := range strictErrs {
			var fieldErr kjson.FieldError
			if errors.As(strictErr, &fieldErr) {
				doc.duplicateFields = append(doc.duplicateFields, fieldErr.FieldPath())
			}
		}
		parsed.add(doc)
	}
}

func jsonSyntaxError(file string, document int, data []byte, offset int64, err error) *Error {
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		offset = syntaxErr.Offset
	}
	return &Error{File: file, Line: lineAt(data, offset), Document: document,
		Message: "JSON syntax error: " + err.Error(), Err: err}
}

// lineAt returns the 1-based line of a byte offset.
func lineAt(data []byte, offset int64) int {
	offset = min(max(offset, 0), int64(len(data)))
	return bytes.Count(data[:offset], []byte("\n")) + 1
}

// jsonLineIndex indexes a JSON value for line lookups. JSON is YAML except for tabs
// as indentation; tabs cannot occur raw inside JSON strings, so turning them into
// spaces keeps every line and column. Line data is best effort: nil if it fails.
func jsonLineIndex(raw []byte, startLine int) *lineIndex {
	var node yamlv3.Node
	if yamlv3.Unmarshal(bytes.ReplaceAll(raw, []byte("\t"), []byte(" ")), &node) != nil || len(node.Content) == 0 {
		return nil
	}
	return &lineIndex{root: resolveAlias(node.Content[0]), offset: startLine - 1}
}

func firstToken(raw []byte) string {
	switch raw[0] {
	case '[':
		return "an array"
	case '"':
		return "a string"
	default:
		return fmt.Sprintf("%.20s", raw)
	}
}
