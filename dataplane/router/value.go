package router

import (
	"regexp"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// valueMatches compares a header or query parameter value. A regular expression
// that the compiler failed to provide, or an unknown match type, never matches:
// failing closed keeps a broken match from widening a route.
func valueMatches(kind snapshot.StringMatchType, want string, re *regexp.Regexp, got []byte) bool {
	switch kind {
	case snapshot.MatchExact:
		return string(got) == want
	case snapshot.MatchRegularExpression:
		return re != nil && re.Match(got)
	default:
		return false
	}
}
