package standalone

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	kjson "sigs.k8s.io/json"
)

// parseJSONFile reads a stream of JSON values, each one document.
func parseJSONFile(file string, data []byte, sink documentSink) error {
	decoder := json.NewDecoder(bytes.NewReader(data))
	// Lines are counted on from the previous value, not from the start of the
	// file for each value: that was quadratic in the size of the file.
	var counted int64
	line := 1
	for document := 1; ; document++ {
		offset := decoder.InputOffset()
		var raw json.RawMessage
		err := decoder.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return jsonSyntaxError(file, document, data, offset, err)
		}
		start := offset + int64(len(data[offset:])-len(bytes.TrimLeft(data[offset:], " \t\r\n")))
		line += bytes.Count(data[counted:start], []byte("\n"))
		counted = start
		text := newDocText(jsonText, raw, document-1, line)
		if sink.reuse(text, document) {
			continue
		}
		place := docPlace{file: file, document: document, line: line, lines: jsonLineIndex(raw, line)}
		var content map[string]any
		strictErrs, err := kjson.UnmarshalStrict(raw, &content, kjson.DisallowDuplicateFields)
		if err != nil || content == nil {
			sink.unidentified(text, place.errorf("a JSON value must be an object, not %s", firstToken(raw)))
			continue
		}
		doc := rawDocument{place: place, text: text, content: content}
		for _, strictErr := range strictErrs {
			var fieldErr kjson.FieldError
			if errors.As(strictErr, &fieldErr) {
				doc.duplicateFields = append(doc.duplicateFields, fieldErr.FieldPath())
			}
		}
		addDocument(sink, doc)
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
