package router

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// The index must answer exactly what a linear scan over the routes in snapshot
// order answers. The naive matcher below is written independently of the index
// (prefixes compared segment by segment, hosts label by label) so that a shared
// misunderstanding cannot hide.

func naiveMatch(routes []*snapshot.Route, r *fakeRequest) *snapshot.Route {
	for _, route := range routes {
		if naivePathMatches(route.Path, string(r.path)) && naiveRestMatches(route, r) {
			return route
		}
	}
	return nil
}

func naivePathMatches(pm snapshot.PathMatch, path string) bool {
	switch pm.Type {
	case snapshot.PathExact:
		return pm.Value == path
	case snapshot.PathRegularExpression:
		return pm.Regex.MatchString(path)
	case snapshot.PathPrefix:
		want := strings.Split(strings.TrimRight(pm.Value, "/"), "/")
		got := strings.Split(path, "/")
		return len(got) >= len(want) && slices.Equal(got[:len(want)], want)
	}
	return false
}

func naiveRestMatches(route *snapshot.Route, r *fakeRequest) bool {
	if route.Method != "" && route.Method != string(r.method) {
		return false
	}
	for _, h := range route.Headers {
		v, ok := r.headers[h.Name]
		if !ok || !naiveValueMatches(h.Type, h.Value, h.Regex, string(v)) {
			return false
		}
	}
	for _, q := range route.QueryParams {
		idx := slices.IndexFunc(r.query, func(a queryArg) bool { return a.name == q.Name })
		if idx < 0 || !naiveValueMatches(q.Type, q.Value, q.Regex, string(r.query[idx].value)) {
			return false
		}
	}
	return true
}

func naiveValueMatches(kind snapshot.StringMatchType, want string, re *regexp.Regexp, got string) bool {
	if kind == snapshot.MatchRegularExpression {
		return re.MatchString(got)
	}
	return want == got
}

// randomPath builds paths from a tiny alphabet so that random routes and requests
// collide often: exact hits, prefix boundaries ("/a" vs "/ab") and empty segments.
func randomPath(rng *rand.Rand, maxDepth int) string {
	segments := []string{"a", "b", "ab", "a.b", ""}
	depth := rng.IntN(maxDepth + 1)
	var sb strings.Builder
	for range depth {
		sb.WriteByte('/')
		sb.WriteString(segments[rng.IntN(len(segments))])
	}
	if sb.Len() == 0 {
		return "/"
	}
	return sb.String()
}

func randomRoute(rng *rand.Rand, id int) *snapshot.Route {
	r := &snapshot.Route{ID: fmt.Sprintf("r%d", id)}
	switch rng.IntN(3) {
	case 0:
		r.Path = snapshot.PathMatch{Type: snapshot.PathExact, Value: randomPath(rng, 3)}
	case 1:
		value := randomPath(rng, 3)
		if rng.IntN(4) == 0 && value != "/" {
			value += "/" // not what the compiler emits, but the Gateway API allows it
		}
		r.Path = snapshot.PathMatch{Type: snapshot.PathPrefix, Value: value}
	default:
		exprs := []string{"/a.*", "/[ab]+", "/b(/.*)?", ".*/ab", "/a/[^/]+"}
		expr := exprs[rng.IntN(len(exprs))]
		r.Path = snapshot.PathMatch{Type: snapshot.PathRegularExpression, Value: expr, Regex: regexp.MustCompile("^(?:" + expr + ")$")}
	}
	if rng.IntN(4) == 0 {
		r.Method = []string{"GET", "POST"}[rng.IntN(2)]
	}
	for range rng.IntN(3) {
		name := []string{"X-A", "X-B"}[rng.IntN(2)]
		if rng.IntN(2) == 0 {
			r.Headers = append(r.Headers, snapshot.HeaderMatch{Name: name, Type: snapshot.MatchExact, Value: []string{"1", "2"}[rng.IntN(2)]})
		} else {
			r.Headers = append(r.Headers, snapshot.HeaderMatch{Name: name, Type: snapshot.MatchRegularExpression, Value: "[12]", Regex: regexp.MustCompile("^(?:[12])$")})
		}
	}
	for range rng.IntN(2) {
		name := []string{"q", "r"}[rng.IntN(2)]
		if rng.IntN(2) == 0 {
			r.QueryParams = append(r.QueryParams, snapshot.QueryParamMatch{Name: name, Type: snapshot.MatchExact, Value: []string{"1", "2"}[rng.IntN(2)]})
		} else {
			r.QueryParams = append(r.QueryParams, snapshot.QueryParamMatch{Name: name, Type: snapshot.MatchRegularExpression, Value: "1|3", Regex: regexp.MustCompile("^(?:1|3)$")})
		}
	}
	return r
}

func randomRequest(rng *rand.Rand) *fakeRequest {
	r := req("h", randomPath(rng, 5), withMethod([]string{"GET", "POST", "PUT"}[rng.IntN(3)]))
	for _, name := range []string{"X-A", "X-B"} {
		if rng.IntN(3) > 0 {
			r.headers[name] = []byte([]string{"1", "2", "3"}[rng.IntN(3)])
		}
	}
	for range rng.IntN(3) {
		r.query = append(r.query, queryArg{name: []string{"q", "r"}[rng.IntN(2)], value: []byte([]string{"1", "2", "3"}[rng.IntN(3)])})
	}
	return r
}

func TestPropertyIndexEqualsLinearScan(t *testing.T) {
	t.Parallel()
	const (
		routeSets       = 200
		requestsPerSet  = 120
		maxRoutesPerSet = 40
	)
	for set := range routeSets {
		seed := uint64(set)
		rng := rand.New(rand.NewPCG(seed, 0x7475726e70696b65))
		routes := make([]*snapshot.Route, 1+rng.IntN(maxRoutesPerSet))
		for i := range routes {
			// Random order on purpose: the index must not rely on the compiler's
			// ordering, only on "first in snapshot order wins".
			routes[i] = randomRoute(rng, i)
		}
		table := New(oneSocket(glistener("l", "", vhost("", routes...))))
		for range requestsPerSet {
			r := randomRequest(rng)
			got, _ := table.Match(socketKey, r)
			want := naiveMatch(routes, r)
			if got != want {
				t.Fatalf("seed %d: %s %s headers=%q query=%v: index found %q, linear scan %q\nroutes: %s",
					seed, r.method, r.path, r.headers, r.query, routeID(got), routeID(want), describe(routes))
			}
		}
	}
}

func describe(routes []*snapshot.Route) string {
	var sb strings.Builder
	for _, r := range routes {
		fmt.Fprintf(&sb, "\n  %s %s %q method=%q headers=%v query=%v", r.ID, r.Path.Type, r.Path.Value, r.Method, r.Headers, r.QueryParams)
	}
	return sb.String()
}

func naiveHostMatches(hostname, host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if h, _, found := strings.Cut(host, ":"); found {
		host = h
	}
	switch {
	case hostname == "":
		return true
	case strings.HasPrefix(hostname, "*."):
		want := strings.Split(hostname[2:], ".")
		got := strings.Split(host, ".")
		return len(got) > len(want) && slices.Equal(got[len(got)-len(want):], want)
	default:
		return hostname == host
	}
}

func TestPropertyHostIndexEqualsLinearScan(t *testing.T) {
	t.Parallel()
	labels := []string{"a", "b", "example", "com"}
	randomName := func(rng *rand.Rand) string {
		parts := make([]string, 1+rng.IntN(4))
		for i := range parts {
			parts[i] = labels[rng.IntN(len(labels))]
		}
		return strings.Join(parts, ".")
	}
	for set := range 300 {
		seed := uint64(set)
		rng := rand.New(rand.NewPCG(seed, 0x686f737473))
		hostnames := make([]string, rng.IntN(8))
		for i := range hostnames {
			switch rng.IntN(4) {
			case 0:
				hostnames[i] = ""
			case 1:
				hostnames[i] = "*." + randomName(rng)
			default:
				hostnames[i] = randomName(rng)
			}
		}
		idx := newHostIndex(hostnames)
		for range 100 {
			host := randomName(rng)
			if rng.IntN(3) == 0 {
				host = strings.ToUpper(host[:1]) + host[1:] + ":8080"
			}
			want := slices.IndexFunc(hostnames, func(name string) bool { return naiveHostMatches(name, host) })
			var buf hostBuffer
			normalized, ok := normalizeHost(&buf, []byte(host))
			if got := idx.lookup(normalized, ok); got != want {
				t.Fatalf("seed %d: host %q in %q: index found %d, linear scan %d", seed, host, hostnames, got, want)
			}
			// Walking next visits every matching entry, in order, once.
			var wantAll, gotAll []int
			// A hostname listed twice is indexed once, at its first position (the
			// compiler never lists one twice).
			for pos, name := range hostnames {
				if naiveHostMatches(name, host) && slices.Index(hostnames, name) == pos {
					wantAll = append(wantAll, pos)
				}
			}
			for pos := idx.next(normalized, ok, -1); pos >= 0; pos = idx.next(normalized, ok, pos) {
				gotAll = append(gotAll, pos)
			}
			if !slices.Equal(gotAll, wantAll) && !(len(gotAll) == 0 && len(wantAll) == 0) {
				t.Fatalf("seed %d: host %q in %q: next visited %v, linear scan %v", seed, host, hostnames, gotAll, wantAll)
			}
		}
	}
}
