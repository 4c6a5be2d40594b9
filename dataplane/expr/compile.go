package expr

import (
	"errors"
	"fmt"
	"net/textproto"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// Predicate is a `when` condition, ready to evaluate; safe for concurrent use.
type Predicate struct {
	source   string
	program  cel.Program
	failures atomic.Uint64
}

// NewPredicate prepares a compiled expression for evaluation.
func NewPredicate(e *snapshot.Expression) (*Predicate, error) {
	if e == nil || e.Program == nil {
		return nil, errors.New("predicate has no compiled program")
	}
	return &Predicate{source: e.Source, program: e.Program}, nil
}

// Source is the expression as the user wrote it.
func (p *Predicate) Source() string { return p.source }

// Eval reports whether the predicate holds for the request. An evaluation error
// or a result that is not a bool means false ("does not apply"), and is counted.
func (p *Predicate) Eval(a *Activation) bool {
	out, _, err := p.program.Eval(a)
	if err == nil {
		if b, ok := out.(types.Bool); ok {
			return bool(b)
		}
	}
	p.failures.Add(1)
	totals.predicates.Add(1)
	return false
}

// Failures counts the evaluations that failed or did not yield a bool.
func (p *Predicate) Failures() uint64 { return p.failures.Load() }

// fastKind names a counter shape that is read without CEL.
type fastKind uint8

const (
	general fastKind = iota
	fastHeader
	fastSourceAddress
	fastMethod
	fastPath
	fastPathWithQuery
	fastHost
)

// Value is a counter expression, ready to evaluate; safe for concurrent use.
type Value struct {
	source  string
	program cel.Program
	fast    fastKind
	// header is the canonical header name of fastHeader; empty when the
	// expression names a header with upper-case letters, which never matches.
	header   string
	failures atomic.Uint64
}

// NewValue prepares a compiled counter expression, recognising the shapes that
// skip CEL.
func NewValue(e *snapshot.Expression) (*Value, error) {
	if e == nil || e.Program == nil {
		return nil, errors.New("counter has no compiled program")
	}
	v := &Value{source: e.Source, program: e.Program}
	v.fast, v.header = recognise(e.Source)
	return v, nil
}

// Source is the expression as the user wrote it.
func (v *Value) Source() string { return v.source }

// Fast reports whether the value is read without running CEL.
func (v *Value) Fast() bool { return v.fast != general }

// Failures counts the evaluations that failed.
func (v *Value) Failures() uint64 { return v.failures.Load() }

// Append appends the value's text to dst: strings as they are, numbers and
// bools in their CEL text form. An error (a missing key, a value with no text
// form such as a list) is counted and returned; dst is then unchanged.
func (v *Value) Append(dst []byte, a *Activation) ([]byte, error) {
	req := a.req
	switch v.fast {
	case fastHeader:
		if v.header == "" {
			return dst, nil
		}
		value, _ := req.Header(v.header)
		return append(dst, value...), nil
	case fastSourceAddress:
		return appendClientAddress(dst, req.ClientAddr()), nil
	case fastMethod:
		return append(dst, req.Method()...), nil
	case fastPath:
		return append(dst, req.Path()...), nil
	case fastPathWithQuery:
		return appendURLPath(dst, req), nil
	case fastHost:
		return appendLower(dst, hostWithoutPort(req.Host())), nil
	}
	out, _, err := v.program.Eval(a)
	if err == nil {
		var ok bool
		if dst, ok = appendText(dst, out); ok {
			return dst, nil
		}
		err = fmt.Errorf("value of type %s has no text form", out.Type().TypeName())
	}
	v.failures.Add(1)
	totals.values.Add(1)
	return dst, fmt.Errorf("counter %q: %w", v.source, err)
}

func appendText(dst []byte, out ref.Val) ([]byte, bool) {
	switch x := out.(type) {
	case types.String:
		return append(dst, x...), true
	case types.Bytes:
		return append(dst, x...), true
	case types.Int:
		return strconv.AppendInt(dst, int64(x), 10), true
	case types.Uint:
		return strconv.AppendUint(dst, uint64(x), 10), true
	case types.Bool:
		return strconv.AppendBool(dst, bool(x)), true
	case types.Double:
		return strconv.AppendFloat(dst, float64(x), 'g', -1, 64), true
	}
	if s, ok := out.ConvertToType(types.StringType).(types.String); ok {
		return append(dst, s...), true
	}
	return dst, false
}

// FailureCounts are the evaluation failures of every expression in the process,
// for metrics.
type FailureCounts struct {
	// Predicates that failed or did not yield a bool (treated as false).
	Predicates uint64
	// Values (counters) that failed (the request is not counted).
	Values uint64
}

var totals struct{ predicates, values atomic.Uint64 }

// Failures returns the process-wide failure counts.
func Failures() FailureCounts {
	return FailureCounts{Predicates: totals.predicates.Load(), Values: totals.values.Load()}
}

// parseEnv parses sources again to recognise their shape; parsing needs no
// declarations, but the shared env keeps the parser options identical.
var parseEnv = sync.OnceValues(snapshot.NewExpressionEnv)

// canonicalHeader returns the header name a lower-case key reads, or "" when
// the key can never match.
func canonicalHeader(key string) string {
	if key == "" || hasUpper(key) {
		return ""
	}
	return textproto.CanonicalMIMEHeaderKey(key)
}
