package compiler

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// Authorino's selectors are JSON paths (gjson) over its "authorization JSON":
// request attributes, and what auth learned. Turnpike compiles each selector to a
// CEL path over the same variables every policy expression reads (request, source,
// auth), so that the data plane has one evaluator. Only plain paths are accepted:
// gjson's modifiers, wildcards, queries and multipaths have no CEL counterpart
// that would mean exactly the same, and a condition that silently meant something
// else would be a hole in a policy.

// gjsonSyntax are the characters with a meaning in a gjson path (besides '.' and
// '\'); unescaped, they make a selector unsupported.
const gjsonSyntax = "@*?#|{}[]()!=<>,:\"'`%~ "

// contextHTTPAttributes maps Authorino's Envoy-shaped attributes
// (context.request.http.<name>) to Turnpike's well-known attributes.
var contextHTTPAttributes = map[string]string{
	"method": "request.method",
	"path":   "request.path",
	"host":   "request.host",
	"scheme": "request.scheme",
	"query":  "request.query",
}

// celReserved are CEL's reserved words, which cannot follow a '.'.
var celReserved = map[string]bool{
	"as": true, "break": true, "const": true, "continue": true, "else": true, "false": true,
	"for": true, "function": true, "if": true, "import": true, "in": true, "let": true,
	"loop": true, "package": true, "namespace": true, "null": true, "return": true,
	"true": true, "var": true, "void": true, "while": true,
}

// selectorToCEL compiles a selector to a CEL expression that reads the same value.
// The error says what is wrong in a sentence fragment fit for a status message.
func selectorToCEL(selector string) (string, error) {
	segments, err := splitSelector(selector)
	if err != nil {
		return "", err
	}
	if segments[0] == "context" {
		return contextSelectorToCEL(selector, segments)
	}
	switch segments[0] {
	case snapshot.VarRequest, snapshot.VarSource, snapshot.VarAuth:
	default:
		return "", fmt.Errorf("selector %q must start with request, source or auth (or context.request.http)", selector)
	}
	var b strings.Builder
	b.WriteString(segments[0])
	for i, segment := range segments[1:] {
		// Header names are case-insensitive; request.headers has them in lower case.
		if i == 1 && segments[0] == snapshot.VarRequest && segments[1] == "headers" {
			segment = strings.ToLower(segment)
		}
		writeCELSegment(&b, segment)
	}
	return b.String(), nil
}

// contextSelectorToCEL maps the attributes Authorino reads from Envoy's check
// request to Turnpike's.
func contextSelectorToCEL(selector string, segments []string) (string, error) {
	unsupported := fmt.Errorf("selector %q reads an Envoy attribute Turnpike does not have; use request.method, request.path, request.host, request.scheme, request.query, request.headers.<name> or source.address", selector)
	switch {
	case len(segments) == 4 && segments[1] == "request" && segments[2] == "http":
		if attribute, ok := contextHTTPAttributes[segments[3]]; ok {
			return attribute, nil
		}
	case len(segments) == 5 && segments[1] == "request" && segments[2] == "http" && segments[3] == "headers":
		var b strings.Builder
		b.WriteString("request.headers")
		writeCELSegment(&b, strings.ToLower(segments[4]))
		return b.String(), nil
	case strings.Join(segments, ".") == "context.source.address.socketAddress.address":
		return "source.address", nil
	}
	return "", unsupported
}

// splitSelector splits a gjson path at its unescaped dots, unescaping the
// segments, and rejects the syntax Turnpike does not support.
func splitSelector(selector string) ([]string, error) {
	if strings.TrimSpace(selector) == "" {
		return nil, fmt.Errorf("selector is empty")
	}
	var segments []string
	var current strings.Builder
	escaped := false
	for _, r := range selector {
		switch {
		case escaped:
			current.WriteRune(r)
			escaped = false
		case r == '\\':
			escaped = true
		case r == '.':
			segments = append(segments, current.String())
			current.Reset()
		case strings.ContainsRune(gjsonSyntax, r) || unicode.IsControl(r):
			return nil, fmt.Errorf("selector %q uses %q, a JSON path feature (modifier, wildcard, query) Turnpike does not support; write the condition as a CEL predicate instead", selector, r)
		default:
			current.WriteRune(r)
		}
	}
	if escaped {
		return nil, fmt.Errorf("selector %q ends with an unfinished escape", selector)
	}
	segments = append(segments, current.String())
	for _, segment := range segments {
		if segment == "" {
			return nil, fmt.Errorf("selector %q has an empty path segment", selector)
		}
	}
	return segments, nil
}

// writeCELSegment appends one path segment: ".name" when it is a CEL identifier,
// "[0]" when it is a list index, else ["quoted"].
func writeCELSegment(b *strings.Builder, segment string) {
	switch {
	case isDecimal(segment):
		b.WriteString("[" + segment + "]")
	case isCELIdentifier(segment):
		b.WriteString("." + segment)
	default:
		b.WriteString("[" + celString(segment) + "]")
	}
}

func isDecimal(s string) bool {
	if s == "" || len(s) > 9 { // a list index, never a number that overflows
		return false
	}
	_, err := strconv.Atoi(s)
	return err == nil && s[0] != '-' && s[0] != '+'
}

func isCELIdentifier(s string) bool {
	if s == "" || celReserved[s] {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// celString quotes s as a CEL string literal that evaluates to exactly s: quotes,
// backslashes and control characters are escaped, other Unicode is kept as is.
// Invalid UTF-8 (which no JSON or YAML string holds) becomes U+FFFD.
func celString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == utf8.RuneError:
			b.WriteString(`\uFFFD`)
		case r < 0x20 || r == 0x7f || (!unicode.IsPrint(r) && r <= 0xffff):
			fmt.Fprintf(&b, `\u%04X`, r)
		case !unicode.IsPrint(r):
			fmt.Fprintf(&b, `\U%08X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// templateToCEL compiles an Authorino string template ("Hello, {auth.identity.name}!")
// to a CEL string concatenation. A selector without braces is a plain path.
func templateToCEL(template string) (string, error) {
	if !strings.ContainsAny(template, "{}") {
		return selectorToCEL(template)
	}
	var parts []string
	rest := template
	for rest != "" {
		open := strings.IndexByte(rest, '{')
		if closing := strings.IndexByte(rest, '}'); closing >= 0 && (open < 0 || closing < open) {
			return "", fmt.Errorf("template %q has a '}' without a '{'", template)
		}
		if open < 0 {
			parts = append(parts, celString(rest))
			break
		}
		if open > 0 {
			parts = append(parts, celString(rest[:open]))
		}
		closing := strings.IndexByte(rest[open:], '}')
		if closing < 0 {
			return "", fmt.Errorf("template %q has a '{' without a '}'", template)
		}
		path, err := selectorToCEL(rest[open+1 : open+closing])
		if err != nil {
			return "", fmt.Errorf("template %q: %w", template, err)
		}
		parts = append(parts, "string("+path+")")
		rest = rest[open+closing+1:]
	}
	return strings.Join(parts, " + "), nil
}
