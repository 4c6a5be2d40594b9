package compiler

import (
	"fmt"
	"regexp"
	"strings"

	tpv1a1 "github.com/turnpike-gateway/turnpike/api/v1alpha1"
)

// maxConditionDepth bounds the nesting of all/any: their schema is left open (it
// cannot be recursive), so the API server does not bound it.
const maxConditionDepth = 8

// scopeClaims are the claims that carry OAuth scopes: a condition that requires
// one of their words is a scope requirement, answered with insufficient_scope.
var scopeClaims = map[string]bool{"scope": true, "scp": true, "scopes": true}

// celCondition is one condition compiled to CEL source, with the OAuth scope it
// requires when it is a scope check.
type celCondition struct {
	source string
	scope  string
}

// conditionCompiler compiles the pattern conditions of one policy. Its named
// patterns (spec.patterns), which patternRef refers to, are compiled once, up
// front, so that a broken pattern is reported once whether or not it is used.
type conditionCompiler struct {
	path     string // of the block the patterns are in: "spec", "spec.defaults"
	patterns map[string][]celCondition
	problems []string
}

func newConditionCompiler(path string, patterns map[string]tpv1a1.PatternExpressions) *conditionCompiler {
	cc := &conditionCompiler{path: path, patterns: make(map[string][]celCondition, len(patterns))}
	for _, name := range sortedKeys(patterns) {
		field := fmt.Sprintf("%s.patterns[%q].allOf", path, name)
		allOf := patterns[name].AllOf
		if len(allOf) == 0 {
			cc.problems = append(cc.problems, field+": must list at least one expression")
		}
		compiled := make([]celCondition, 0, len(allOf))
		for i, expr := range allOf {
			c, err := patternToCEL(expr)
			if err != nil {
				cc.problems = append(cc.problems, fmt.Sprintf("%s[%d]: %v", field, i, err))
				continue
			}
			compiled = append(compiled, c)
		}
		cc.patterns[name] = compiled
	}
	return cc
}

// compileList compiles a list of conditions, each of which must hold. A patternRef
// at the top level becomes one condition per expression of the pattern, so that
// each keeps its own scope.
func (cc *conditionCompiler) compileList(path string, conditions []tpv1a1.PatternExpressionOrRef) ([]celCondition, []string) {
	var out []celCondition
	var problems []string
	for i := range conditions {
		compiled, conditionProblems := cc.compile(fmt.Sprintf("%s[%d]", path, i), &conditions[i], 0)
		out = append(out, compiled...)
		problems = append(problems, conditionProblems...)
	}
	return out, problems
}

// compile compiles one condition into the conditions that must all hold.
func (cc *conditionCompiler) compile(path string, c *tpv1a1.PatternExpressionOrRef, depth int) ([]celCondition, []string) {
	if depth > maxConditionDepth {
		return nil, []string{fmt.Sprintf("%s: all and any are nested more than %d deep", path, maxConditionDepth)}
	}
	var kinds []string
	expr := c.PatternExpression
	if expr.Selector != "" || expr.Operator != "" || expr.Value != "" {
		kinds = append(kinds, "selector")
	}
	if c.PatternRef != "" {
		kinds = append(kinds, "patternRef")
	}
	if c.Predicate != "" {
		kinds = append(kinds, "predicate")
	}
	if c.All != nil {
		kinds = append(kinds, "all")
	}
	if c.Any != nil {
		kinds = append(kinds, "any")
	}
	switch {
	case len(kinds) == 0:
		return nil, []string{path + ": sets no condition; set one of selector (with operator and value), patternRef, predicate, all or any"}
	case len(kinds) > 1:
		return nil, []string{fmt.Sprintf("%s: sets %s; set only one of selector, patternRef, predicate, all or any", path, strings.Join(kinds, " and "))}
	}
	switch kinds[0] {
	case "selector":
		compiled, err := patternToCEL(expr)
		if err != nil {
			return nil, []string{path + ": " + err.Error()}
		}
		return []celCondition{compiled}, nil
	case "patternRef":
		return cc.pattern(path, c.PatternRef)
	case "predicate":
		return []celCondition{{source: c.Predicate}}, nil
	case "all":
		return cc.combine(path+".all", c.All, " && ", depth)
	default:
		return cc.combine(path+".any", c.Any, " || ", depth)
	}
}

// pattern resolves a patternRef to the expressions of the named pattern (whose
// own problems are reported by newConditionCompiler).
func (cc *conditionCompiler) pattern(path, name string) ([]celCondition, []string) {
	compiled, ok := cc.patterns[name]
	if !ok {
		return nil, []string{fmt.Sprintf("%s.patternRef: %s.patterns has no pattern named %q", path, cc.path, name)}
	}
	return compiled, nil
}

// combine joins nested conditions into one with && (all) or || (any). A nested
// condition that is itself several (a patternRef) counts as their conjunction.
func (cc *conditionCompiler) combine(path string, nested []tpv1a1.UnstructuredPatternExpressionOrRef, operator string, depth int) ([]celCondition, []string) {
	if len(nested) == 0 {
		return nil, []string{path + ": must list at least one condition"}
	}
	var parts []string
	var problems []string
	for i := range nested {
		compiled, nestedProblems := cc.compile(fmt.Sprintf("%s[%d]", path, i), &nested[i].PatternExpressionOrRef, depth+1)
		problems = append(problems, nestedProblems...)
		if len(compiled) > 0 {
			parts = append(parts, "("+joinConditions(compiled)+")")
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return []celCondition{{source: strings.Join(parts, operator)}}, nil
}

// joinConditions is the CEL conjunction of conditions.
func joinConditions(conditions []celCondition) string {
	if len(conditions) == 1 {
		return conditions[0].source
	}
	parts := make([]string, len(conditions))
	for i, c := range conditions {
		parts[i] = "(" + c.source + ")"
	}
	return strings.Join(parts, " && ")
}

// patternToCEL compiles {selector, operator, value}. Values are compared as
// strings, as Authorino compares the JSON text of what a selector fetches: a claim
// true equals "true", 42 equals "42".
func patternToCEL(expr tpv1a1.PatternExpression) (celCondition, error) {
	if expr.Selector == "" {
		return celCondition{}, fmt.Errorf("selector is required with operator and value")
	}
	path, err := selectorToCEL(expr.Selector)
	if err != nil {
		return celCondition{}, err
	}
	value := celString(expr.Value)
	var compiled celCondition
	switch expr.Operator {
	case tpv1a1.PatternOperatorEq:
		compiled.source = "string(" + path + ") == " + value
	case tpv1a1.PatternOperatorNeq:
		compiled.source = "string(" + path + ") != " + value
	case tpv1a1.PatternOperatorIncl:
		compiled.source = includes(path, expr.Value)
	case tpv1a1.PatternOperatorExcl:
		compiled.source = "!(" + includes(path, expr.Value) + ")"
	case tpv1a1.PatternOperatorMatches:
		if _, err := regexp.Compile(expr.Value); err != nil {
			return celCondition{}, fmt.Errorf("value %q is not a valid regular expression (RE2 syntax): %v", expr.Value, err)
		}
		compiled.source = "string(" + path + ").matches(" + value + ")"
	case "":
		return celCondition{}, fmt.Errorf("operator is required; use eq, neq, incl, excl or matches")
	default:
		return celCondition{}, fmt.Errorf("operator %q is not supported; use eq, neq, incl, excl or matches", expr.Operator)
	}
	if expr.Operator == tpv1a1.PatternOperatorEq || expr.Operator == tpv1a1.PatternOperatorIncl {
		segments, _ := splitSelector(expr.Selector) // valid: selectorToCEL accepted it
		if scopeClaims[segments[len(segments)-1]] && expr.Value != "" && !strings.ContainsAny(expr.Value, " \t") {
			compiled.scope = expr.Value
		}
	}
	return compiled, nil
}

// includes is true when the list at path has an element equal (as a string) to
// value, or, for a string such as an OAuth "scope" claim, when value is one of its
// space-separated words (RFC 6749 section 3.3).
func includes(path, value string) string {
	return fmt.Sprintf("type(%[1]s) == string ? (\" \" + %[1]s + \" \").contains(%[2]s) : %[1]s.exists(x, string(x) == %[3]s)",
		path, celString(" "+value+" "), celString(value))
}
