package compiler

import (
	"cmp"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// compiledMatch is a snapshot.Route with what precedence needs to know about the
// HTTPRoute it came from.
type compiledMatch struct {
	route      *snapshot.Route
	created    metav1.Time
	routeKey   types.NamespacedName
	ruleIndex  int
	matchIndex int
}

// comparePrecedence orders matches the way the data plane must try them (it takes
// the first that holds), following the Gateway API:
//
//  1. Exact paths, then regular expressions, then prefixes (regular expression
//     precedence is implementation-specific; between the two core types it is
//     the least surprising place);
//  2. longer path values first (for prefixes the API's rule; for exact paths and
//     expressions it only makes the order total);
//  3. a method match before none;
//  4. more header matches first, then more query parameter matches;
//  5. the oldest HTTPRoute, then namespace/name alphabetically;
//  6. rule order, then match order within the HTTPRoute.
func comparePrecedence(a, b *compiledMatch) int {
	ra, rb := a.route, b.route
	if c := cmp.Compare(pathRank(ra.Path.Type), pathRank(rb.Path.Type)); c != 0 {
		return c
	}
	if c := cmp.Compare(len(rb.Path.Value), len(ra.Path.Value)); c != 0 {
		return c
	}
	if c := cmp.Compare(boolRank(ra.Method != ""), boolRank(rb.Method != "")); c != 0 {
		return c
	}
	if c := cmp.Compare(len(rb.Headers), len(ra.Headers)); c != 0 {
		return c
	}
	if c := cmp.Compare(len(rb.QueryParams), len(ra.QueryParams)); c != 0 {
		return c
	}
	if c := byAgeThenName(a.created, b.created, a.routeKey, b.routeKey); c != 0 {
		return c
	}
	if c := cmp.Compare(a.ruleIndex, b.ruleIndex); c != 0 {
		return c
	}
	return cmp.Compare(a.matchIndex, b.matchIndex)
}

func pathRank(t snapshot.PathMatchType) int {
	switch t {
	case snapshot.PathExact:
		return 0
	case snapshot.PathRegularExpression:
		return 1
	default:
		return 2
	}
}

// boolRank puts true first.
func boolRank(b bool) int {
	if b {
		return 0
	}
	return 1
}

// sortedRoutes returns the routes of matches in precedence order.
func sortedRoutes(matches []*compiledMatch) []*snapshot.Route {
	slices.SortFunc(matches, comparePrecedence)
	routes := make([]*snapshot.Route, len(matches))
	for i, m := range matches {
		routes[i] = m.route
	}
	return routes
}
