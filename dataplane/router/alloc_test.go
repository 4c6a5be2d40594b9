package router

import (
	"regexp"
	"testing"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

func TestMatchDoesNotAllocate(t *testing.T) {
	headerRoute := prefix("header", "/h")
	headerRoute.Headers = []snapshot.HeaderMatch{{
		Name: "X-Env", Type: snapshot.MatchRegularExpression, Value: "prod-[0-9]+", Regex: regexp.MustCompile("^(?:prod-[0-9]+)$"),
	}}
	headerRoute.QueryParams = []snapshot.QueryParamMatch{{Name: "v", Type: snapshot.MatchExact, Value: "2"}}
	table := New(oneSocket(
		glistener("wild", "*.example.com",
			vhost("api.example.com", exact("exact", "/exact"), regex("regex", "/re/[a-z]+"), headerRoute, prefix("deep", "/a/b/c")),
			vhost("*.example.com", prefix("wild", "/")),
		),
		glistener("any", "", vhost("", prefix("catch-all", "/"))),
	))
	requests := map[string]*fakeRequest{
		"exact":          req("api.example.com", "/exact"),
		"regex":          req("api.example.com", "/re/abc"),
		"header+query":   req("API.example.com:8443", "/h/x", withHeader("X-Env", "prod-1"), withQuery("v", "2")),
		"deep prefix":    req("api.example.com", "/a/b/c/d/e/f"),
		"wildcard vhost": req("x.y.example.com", "/anything"),
		"no route":       req("api.example.com", "/nothing"),
		"catch-all":      req("other.test", "/"),
	}
	for name, r := range requests {
		if route, _ := table.Match(socketKey, r); route == nil && name != "no route" {
			t.Fatalf("%s: no route matched; the request must exercise a real match", name)
		}
		allocs := testing.AllocsPerRun(1000, func() { table.Match(socketKey, r) })
		if allocs != 0 {
			t.Errorf("%s: Match allocates %.1f times per call, want 0", name, allocs)
		}
	}
}
