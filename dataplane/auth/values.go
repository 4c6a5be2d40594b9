package auth

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"

	"github.com/turnpike-gateway/turnpike/dataplane/expr"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// value is a snapshot.Value ready to evaluate: a static string, or an
// expression read as text (through expr.Value's fast paths) or as a native
// value (for JSON and identity properties).
type value struct {
	static  string
	text    *expr.Value
	program cel.Program
}

func newValue(v *snapshot.Value) (*value, error) {
	if v == nil {
		return nil, errors.New("value is missing")
	}
	if v.Expression == nil {
		return &value{static: v.Static}, nil
	}
	text, err := expr.NewValue(v.Expression)
	if err != nil {
		return nil, err
	}
	return &value{text: text, program: v.Expression.Program}, nil
}

func (v *value) isStatic() bool { return v.text == nil }

// appendText appends the value's text to dst.
func (v *value) appendText(dst []byte, act *expr.Activation) ([]byte, error) {
	if v.isStatic() {
		return append(dst, v.static...), nil
	}
	return v.text.Append(dst, act)
}

// native evaluates the value to a Go value that encoding/json can write and
// CEL can read back: strings, int64, uint64, float64, bool, nil, []any and
// map[string]any.
func (v *value) native(act *expr.Activation) (any, error) {
	if v.isStatic() {
		return v.static, nil
	}
	out, _, err := v.program.Eval(act)
	if err != nil {
		return nil, err
	}
	return nativeOf(out)
}

func nativeOf(v ref.Val) (any, error) {
	switch x := v.(type) {
	case types.String:
		return string(x), nil
	case types.Int:
		return int64(x), nil
	case types.Uint:
		return uint64(x), nil
	case types.Double:
		return float64(x), nil
	case types.Bool:
		return bool(x), nil
	case types.Bytes:
		return []byte(x), nil
	case types.Null:
		return nil, nil
	case *types.Err:
		return nil, x
	}
	if l, isList := v.(traits.Lister); isList {
		var out []any
		for it := l.Iterator(); it.HasNext() == types.True; {
			e, err := nativeOf(it.Next())
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		if out == nil {
			out = []any{}
		}
		return out, nil
	}
	if m, isMap := v.(traits.Mapper); isMap {
		out := map[string]any{}
		for it := m.Iterator(); it.HasNext() == types.True; {
			k := it.Next()
			e, err := nativeOf(m.Get(k))
			if err != nil {
				return nil, err
			}
			if s, isString := k.(types.String); isString {
				out[string(s)] = e
			} else {
				out[fmt.Sprint(k.Value())] = e
			}
		}
		return out, nil
	}
	if s, isString := v.ConvertToType(types.StringType).(types.String); isString {
		return string(s), nil // timestamps, durations
	}
	return nil, fmt.Errorf("a value of type %s has no JSON form", v.Type().TypeName())
}

// namedValue is a value under a name (a header, a JSON property).
type namedValue struct {
	name  string
	value *value
}

func newNamedValues(in []*snapshot.NamedValue) ([]namedValue, error) {
	out := make([]namedValue, 0, len(in))
	for _, nv := range in {
		if nv == nil {
			continue
		}
		v, err := newValue(&nv.Value)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", nv.Name, err)
		}
		out = append(out, namedValue{name: nv.Name, value: v})
	}
	return out, nil
}

// appendJSONObject appends {"name": value, ...} in the order given; a property
// that fails to evaluate is left out.
func appendJSONObject(dst []byte, props []namedValue, act *expr.Activation) []byte {
	dst = append(dst, '{')
	first := true
	for _, p := range props {
		v, err := p.value.native(act)
		if err != nil {
			continue
		}
		encoded, err := json.Marshal(v)
		if err != nil {
			continue
		}
		name, _ := json.Marshal(p.name)
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(append(append(dst, name...), ':'), encoded...)
	}
	return append(dst, '}')
}

// safeHeaderValue reports whether v may be sent as a header value: no control
// characters but tab, so that an identity cannot inject header lines.
func safeHeaderValue(v []byte) bool {
	for _, c := range v {
		if (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
