package snapshot

import (
	"fmt"

	"github.com/google/cel-go/cel"
)

// The variables a policy expression (a `when` predicate or a rate-limit counter)
// can read. They follow the well-known attributes of Kuadrant's policies so that
// their manifests port unchanged:
//
//	request.method                 "GET"
//	request.path                   "/v1/toys?color=red" (with the query string)
//	request.url_path               "/v1/toys" (without it)
//	request.host                   "api.example.com" (no port, lower case)
//	request.scheme                 "http" or "https"
//	request.headers['x-api-key']   header values by lower-case name ("" when absent)
//	request.query                  the raw query string ("a=1&b=2")
//	source.address                 the client's IP address
//	source.port                    the client's port (int)
//	auth.identity.*                what AuthPolicy authenticated (empty map without it)
//
// All three variables are maps with dynamic values, so an expression is checked for
// syntax and known variables when the snapshot is built, and a missing key is an
// evaluation error at request time (which the data plane treats as "does not apply").
const (
	VarRequest = "request"
	VarSource  = "source"
	VarAuth    = "auth"
)

// NewExpressionEnv returns the CEL environment every policy expression is compiled
// in. Compiler and data plane share it, so what compiles is what evaluates.
func NewExpressionEnv() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Variable(VarRequest, cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable(VarSource, cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable(VarAuth, cel.MapType(cel.StringType, cel.DynType)),
	)
}

// Expression is a CEL expression compiled once, when the snapshot was built.
type Expression struct {
	// Source is the expression as the user wrote it.
	Source string `json:"source"`
	// Program evaluates it; safe for concurrent use.
	Program cel.Program `json:"-"`
	// Variables lists the top-level variables it reads (a subset of request,
	// source, auth), so the data plane prepares only what is needed.
	Variables []string `json:"variables,omitempty"`
}

// CompileExpression parses, checks and plans an expression in env. The error
// message is the CEL compiler's, fit for a policy's status.
func CompileExpression(env *cel.Env, source string) (*Expression, error) {
	ast, issues := env.Compile(source)
	if issues != nil && issues.Err() != nil {
		return nil, fmt.Errorf("expression %q does not compile: %w", source, issues.Err())
	}
	program, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, fmt.Errorf("expression %q cannot be planned: %w", source, err)
	}
	expr := &Expression{Source: source, Program: program}
	for _, name := range []string{VarRequest, VarSource, VarAuth} {
		if referencesVariable(ast, name) {
			expr.Variables = append(expr.Variables, name)
		}
	}
	return expr, nil
}

// referencesVariable reports whether the checked expression reads a top-level
// variable; the checker's reference map names every identifier it resolved.
func referencesVariable(ast *cel.Ast, name string) bool {
	checked, err := cel.AstToCheckedExpr(ast)
	if err != nil {
		return true // be safe: prepare it
	}
	for _, ref := range checked.GetReferenceMap() {
		if ref.GetName() == name {
			return true
		}
	}
	return false
}
