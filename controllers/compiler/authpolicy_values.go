package compiler

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/google/cel-go/cel"

	tpv1a1 "github.com/turnpike-gateway/turnpike/api/v1alpha1"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// expressionCompiler compiles the CEL expressions of one policy, sharing compiled
// programs by source with every other policy of the compile, and collects the
// problems as status message fragments.
type expressionCompiler struct {
	env      *cel.Env
	cache    map[string]*snapshot.Expression
	problems []string
}

func (e *expressionCompiler) problem(format string, args ...any) {
	e.problems = append(e.problems, fmt.Sprintf(format, args...))
}

// compile compiles source, naming field in the problem when it does not compile.
func (e *expressionCompiler) compile(field, source string) *snapshot.Expression {
	if expr, ok := e.cache[source]; ok {
		return expr
	}
	expr, err := compiledExpressions.compile(e.env, source)
	if err != nil {
		e.problem("%s: %v", field, err)
		return nil
	}
	e.cache[source] = expr
	return expr
}

// conditions compiles conditions that must all hold.
func (e *expressionCompiler) conditions(cc *conditionCompiler, field string, in []tpv1a1.PatternExpressionOrRef) []*snapshot.Expression {
	compiled, problems := cc.compileList(field, in)
	e.problems = append(e.problems, problems...)
	out := make([]*snapshot.Expression, 0, len(compiled))
	for i, c := range compiled {
		if expr := e.compile(fmt.Sprintf("%s (condition %d)", field, i), c.source); expr != nil {
			out = append(out, expr)
		}
	}
	return out
}

// value compiles a ValueOrSelector. A static JSON value that is not a string is
// kept as its JSON text when typed is false (a header, a message), and as a CEL
// literal of the same JSON value when typed is true (a property of a JSON object),
// so that 42 stays a number there.
func (e *expressionCompiler) value(field string, in *tpv1a1.ValueOrSelector, typed bool) *snapshot.Value {
	var set []string
	hasValue := in.Value != nil && len(bytes.TrimSpace(in.Value.Raw)) > 0
	if hasValue {
		set = append(set, "value")
	}
	if in.Selector != "" {
		set = append(set, "selector")
	}
	if in.Expression != "" {
		set = append(set, "expression")
	}
	switch {
	case len(set) == 0:
		e.problem("%s: set one of value, selector and expression", field)
		return nil
	case len(set) > 1:
		e.problem("%s: sets %s; set only one of value, selector and expression", field, strings.Join(set, " and "))
		return nil
	}
	switch {
	case hasValue:
		return e.staticValue(field+".value", in.Value.Raw, typed)
	case in.Selector != "":
		source, err := templateToCEL(in.Selector)
		if err != nil {
			e.problem("%s.selector: %v", field, err)
			return nil
		}
		return e.expressionValue(field+".selector", source)
	default:
		return e.expressionValue(field+".expression", in.Expression)
	}
}

func (e *expressionCompiler) expressionValue(field, source string) *snapshot.Value {
	expr := e.compile(field, source)
	if expr == nil {
		return nil
	}
	return &snapshot.Value{Expression: expr}
}

func (e *expressionCompiler) staticValue(field string, raw []byte, typed bool) *snapshot.Value {
	decoder := json.NewDecoder(bytes.NewReader(raw))
	decoder.UseNumber()
	var decoded any
	if err := decoder.Decode(&decoded); err != nil {
		e.problem("%s: is not a JSON value: %v", field, err)
		return nil
	}
	if s, ok := decoded.(string); ok {
		return &snapshot.Value{Static: s}
	}
	if !typed {
		var compact bytes.Buffer
		if err := json.Compact(&compact, raw); err != nil {
			e.problem("%s: is not a JSON value: %v", field, err)
			return nil
		}
		return &snapshot.Value{Static: compact.String()}
	}
	return e.expressionValue(field, jsonToCEL(decoded))
}

// jsonToCEL writes a decoded JSON value (numbers as json.Number) as a CEL literal.
func jsonToCEL(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		if v {
			return "true"
		}
		return "false"
	case json.Number:
		if _, err := v.Int64(); err == nil {
			return v.String()
		}
		f, _ := v.Float64()
		literal := strconv.FormatFloat(f, 'g', -1, 64)
		if !strings.ContainsAny(literal, ".e") {
			literal += ".0" // a CEL double, not an int
		}
		return literal
	case string:
		return celString(v)
	case []any:
		parts := make([]string, len(v))
		for i, item := range v {
			parts[i] = jsonToCEL(item)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(v))
		for key := range v {
			keys = append(keys, key)
		}
		slices.Sort(keys)
		parts := make([]string, len(keys))
		for i, key := range keys {
			parts[i] = celString(key) + ": " + jsonToCEL(v[key])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	default:
		panic(fmt.Sprintf("jsonToCEL: %T is not a decoded JSON value", v)) // programmer error
	}
}

// namedValues compiles a map of values, sorted by name.
func (e *expressionCompiler) namedValues(field string, in map[string]tpv1a1.ValueOrSelector, typed bool) []*snapshot.NamedValue {
	out := make([]*snapshot.NamedValue, 0, len(in))
	for _, name := range sortedKeys(in) {
		item := in[name]
		if value := e.value(fmt.Sprintf("%s[%q]", field, name), &item, typed); value != nil {
			out = append(out, &snapshot.NamedValue{Name: name, Value: *value})
		}
	}
	return out
}
