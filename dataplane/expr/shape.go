package expr

import (
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// recognise tells whether source is one of the counter shapes read without CEL:
//
//	request.headers['x-name']   request.headers["x-name"]   request.headers.name
//	source.address   request.method   request.path   request.host
//
// It works on the parsed syntax tree, so spacing and quoting do not matter, and
// anything else (a function call, a concatenation) is left to CEL. The fast read
// gives exactly what CEL would give for the same request.
func recognise(source string) (fastKind, string) {
	env, err := parseEnv()
	if err != nil {
		return general, ""
	}
	parsed, issues := env.Parse(source)
	if issues != nil && issues.Err() != nil {
		return general, ""
	}
	e := parsed.NativeRep().Expr()
	switch e.Kind() {
	case ast.SelectKind:
		sel := e.AsSelect()
		if sel.IsTestOnly() {
			return general, ""
		}
		switch {
		case isIdent(sel.Operand(), snapshot.VarSource) && sel.FieldName() == keyAddress:
			return fastSourceAddress, ""
		case isIdent(sel.Operand(), snapshot.VarRequest):
			switch sel.FieldName() {
			case keyMethod:
				return fastMethod, ""
			case keyPath:
				return fastPathWithQuery, ""
			case keyURLPath:
				return fastPath, ""
			case keyHost:
				return fastHost, ""
			}
		case isRequestHeaders(sel.Operand()):
			return fastHeader, canonicalHeader(sel.FieldName())
		}
	case ast.CallKind:
		call := e.AsCall()
		if call.FunctionName() != operators.Index || call.IsMemberFunction() || len(call.Args()) != 2 {
			return general, ""
		}
		container, index := call.Args()[0], call.Args()[1]
		if !isRequestHeaders(container) || index.Kind() != ast.LiteralKind {
			return general, ""
		}
		if key, ok := index.AsLiteral().(types.String); ok {
			return fastHeader, canonicalHeader(string(key))
		}
	}
	return general, ""
}

func isIdent(e ast.Expr, name string) bool {
	return e.Kind() == ast.IdentKind && e.AsIdent() == name
}

// isRequestHeaders matches `request.headers`.
func isRequestHeaders(e ast.Expr) bool {
	if e.Kind() != ast.SelectKind {
		return false
	}
	sel := e.AsSelect()
	return !sel.IsTestOnly() && sel.FieldName() == keyHeaders && isIdent(sel.Operand(), snapshot.VarRequest)
}
