package standalone

import (
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Error is one problem found in the config directory. It names the place precisely
// enough for a user to jump to it: file, line, document, object and field.
type Error struct {
	// File is the path relative to the config directory, with forward slashes.
	File string
	// Line is the 1-based line in File, 0 when unknown.
	Line int
	// Document is the 1-based index of the YAML document (or JSON value) in File,
	// counting non-empty documents only; 0 when the error is about the whole file.
	Document int
	// Item is the 1-based index in a List document's items, 0 outside a List.
	Item int
	// Object names the object as "Kind namespace/name" (or "Kind name" when
	// cluster-scoped); empty when it cannot be told.
	Object string
	// Field is the path of the offending field, such as spec.rules[0].matches;
	// empty when the error is about the document as a whole.
	Field string
	// Message says what is wrong.
	Message string
	// Err is the underlying cause, if any.
	Err error
}

// Error formats as
// `file:line (document N, Kind ns/name): field: message`.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
	}
	var place []string
	if e.Document > 0 {
		place = append(place, "document "+strconv.Itoa(e.Document))
	}
	if e.Item > 0 {
		place = append(place, "item "+strconv.Itoa(e.Item))
	}
	if e.Object != "" {
		place = append(place, e.Object)
	}
	if len(place) > 0 {
		b.WriteString(" (")
		b.WriteString(strings.Join(place, ", "))
		b.WriteByte(')')
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// docPlace is where a document is, and what it is once known. Errors about the
// document are built from it.
type docPlace struct {
	file     string
	document int
	item     int
	// line is the line of the document's (or List item's) first node.
	line int
	// object is the display name of the object, once known.
	object string
	// lines resolves field paths to lines; nil when the source has no line data.
	lines *lineIndex
}

// errorf returns an error about the whole document.
func (p *docPlace) errorf(format string, args ...any) *Error {
	return &Error{
		File: p.file, Line: p.line, Document: p.document, Item: p.item, Object: p.object,
		Message: fmt.Sprintf(format, args...),
	}
}

// fieldError returns an error about one field of the document. path is relative to
// the object root, in field.Path syntax.
func (p *docPlace) fieldError(path, message string) *Error {
	line := p.line
	if l := p.lines.lineOf(path); l > 0 {
		line = l
	}
	return &Error{
		File: p.file, Line: line, Document: p.document, Item: p.item, Object: p.object,
		Field: path, Message: message,
	}
}

// fieldErrors converts the validation errors of the API machinery.
func (p *docPlace) fieldErrors(errs field.ErrorList) []error {
	out := make([]error, 0, len(errs))
	for _, fe := range errs {
		path := fe.Field
		if path == "<nil>" {
			path = ""
		}
		e := p.fieldError(path, fe.ErrorBody())
		e.Err = fe
		out = append(out, e)
	}
	return out
}

// ref is how other errors point at this document (duplicate definitions).
func (p *docPlace) ref() string {
	s := p.file
	if p.line > 0 {
		s += ":" + strconv.Itoa(p.line)
	}
	s += " (document " + strconv.Itoa(p.document)
	if p.item > 0 {
		s += ", item " + strconv.Itoa(p.item)
	}
	return s + ")"
}
