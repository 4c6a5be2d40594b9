package router

import (
	"slices"
	"strings"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// routeIndex finds the first route of one virtual host, in snapshot order, whose
// match holds. Candidates come from three places: the exact-path map, the list of
// regular-expression paths, and the prefix map probed at every distinct prefix
// length. Each candidate list is in snapshot order, so the first candidate of a list
// that matches is that list's best; the answer is the smallest position over all
// lists, which is what a linear scan would find.
type routeIndex struct {
	routes []*snapshot.Route
	// exact maps an Exact path to the positions of its routes.
	exact map[string][]int
	// prefixes maps a normalised PathPrefix (no trailing '/' except "/") to the
	// positions of its routes.
	prefixes map[string][]int
	// prefixLengths are the distinct key lengths of prefixes, longest first. Probing
	// per length, not per '/' of the request path, keeps the work bounded by the
	// configuration instead of by what a client sends.
	prefixLengths []int
	// regexes are the positions of RegularExpression routes.
	regexes []int
}

func newRouteIndex(routes []*snapshot.Route) routeIndex {
	idx := routeIndex{
		routes:   routes,
		exact:    map[string][]int{},
		prefixes: map[string][]int{},
	}
	for pos, r := range routes {
		switch r.Path.Type {
		case snapshot.PathExact:
			idx.exact[r.Path.Value] = append(idx.exact[r.Path.Value], pos)
		case snapshot.PathPrefix:
			key := normalizePrefix(r.Path.Value)
			if _, seen := idx.prefixes[key]; !seen {
				idx.prefixLengths = append(idx.prefixLengths, len(key))
			}
			idx.prefixes[key] = append(idx.prefixes[key], pos)
		case snapshot.PathRegularExpression:
			idx.regexes = append(idx.regexes, pos)
		default:
			// An unknown path type never matches: serving it as something else
			// could expose a backend on paths its owner did not ask for.
		}
	}
	slices.Sort(idx.prefixLengths)
	idx.prefixLengths = slices.Compact(idx.prefixLengths)
	slices.Reverse(idx.prefixLengths)
	return idx
}

// normalizePrefix drops trailing slashes: the Gateway API treats "/abc/" like
// "/abc". The empty prefix is "/".
func normalizePrefix(prefix string) string {
	trimmed := strings.TrimRight(prefix, "/")
	if trimmed == "" {
		return "/"
	}
	return trimmed
}

// match returns the first route whose match holds, or nil.
func (idx *routeIndex) match(req Request) *snapshot.Route {
	path := req.Path()
	best := len(idx.routes) // one past the last position: nothing found yet

	if candidates, found := idx.exact[string(path)]; found {
		best = idx.firstMatch(candidates, best, req)
	}
	for _, pos := range idx.regexes {
		if pos >= best {
			break
		}
		if re := idx.routes[pos].Path.Regex; re != nil && re.Match(path) && matchesRest(idx.routes[pos], req) {
			best = pos
			break
		}
	}
	for _, n := range idx.prefixLengths {
		if n > len(path) || !onSegmentBoundary(path, n) {
			continue
		}
		if candidates, found := idx.prefixes[string(path[:n])]; found {
			best = idx.firstMatch(candidates, best, req)
		}
	}

	if best == len(idx.routes) {
		return nil
	}
	return idx.routes[best]
}

// onSegmentBoundary reports whether path[:n] ends a whole segment: "/abc" is a
// prefix of "/abc" and "/abc/def" but not of "/abcd". The root "/" ends in a slash
// itself and so is a prefix of every path that starts with one.
func onSegmentBoundary(path []byte, n int) bool {
	return n == len(path) || path[n] == '/' || (n > 0 && path[n-1] == '/')
}

// firstMatch returns the position of the first candidate before best whose method,
// headers and query parameters match, or best. Candidates are ascending.
func (idx *routeIndex) firstMatch(candidates []int, best int, req Request) int {
	for _, pos := range candidates {
		if pos >= best {
			return best
		}
		if matchesRest(idx.routes[pos], req) {
			return pos
		}
	}
	return best
}

// matchesRest checks everything but the path.
func matchesRest(r *snapshot.Route, req Request) bool {
	if r.Method != "" && string(req.Method()) != r.Method {
		return false
	}
	for i := range r.Headers {
		h := &r.Headers[i]
		value, ok := req.Header(h.Name)
		if !ok || !valueMatches(h.Type, h.Value, h.Regex, value) {
			return false
		}
	}
	for i := range r.QueryParams {
		q := &r.QueryParams[i]
		value, ok := req.QueryArg(q.Name)
		if !ok || !valueMatches(q.Type, q.Value, q.Regex, value) {
			return false
		}
	}
	return true
}
