package server

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/turnpike-gateway/turnpike/dataplane/problem"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
	"github.com/turnpike-gateway/turnpike/dataplane/upstream"
)

func TestRoutesToTheRightBackend(t *testing.T) {
	t.Parallel()
	names := []string{"exact", "prefix", "regex", "header", "query", "post", "wildcard", "fallback"}
	backends := map[string]*backendServer{}
	for _, n := range names {
		backends[n] = startBackend(t, n)
	}
	to := func(n string) *snapshot.Backend { return ref("ns/"+n+":80", 1, backends[n]) }

	header := routeTo("header", prefixPath("/api"), to("header"))
	header.Headers = []snapshot.HeaderMatch{{Name: "X-Canary", Type: snapshot.MatchExact, Value: "yes"}}
	query := routeTo("query", prefixPath("/api"), to("query"))
	query.QueryParams = []snapshot.QueryParamMatch{{Name: "v", Type: snapshot.MatchExact, Value: "2"}}
	post := routeTo("post", prefixPath("/api"), to("post"))
	post.Method = "POST"
	regex := routeTo("regex", snapshot.PathMatch{
		Type: snapshot.PathRegularExpression, Value: "/items/[0-9]+", Regex: regexp.MustCompile("^(?:/items/[0-9]+)$"),
	}, to("regex"))

	l := &snapshot.Listener{
		Address: "127.0.0.1", Port: 1, Protocol: snapshot.ProtocolHTTP,
		GatewayListeners: []*snapshot.GatewayListener{
			{Name: "api", Hostname: "api.example.com", VirtualHosts: []*snapshot.VirtualHost{{
				Hostname: "api.example.com",
				Routes: []*snapshot.Route{
					routeTo("exact", exactPath("/api/exact"), to("exact")),
					regex, header, query, post,
					routeTo("prefix", prefixPath("/api"), to("prefix")),
				},
			}}},
			{Name: "wild", Hostname: "*.example.com", VirtualHosts: []*snapshot.VirtualHost{{
				Hostname: "*.example.com",
				Routes:   []*snapshot.Route{routeTo("wildcard", prefixPath("/"), to("wildcard"))},
			}}},
			{Name: "any", VirtualHosts: []*snapshot.VirtualHost{{
				Routes: []*snapshot.Route{routeTo("fallback", prefixPath("/"), to("fallback"))},
			}}},
		},
	}
	p := newPorts()
	dp, _ := startDataPlane(t, p, Options{})
	mustPublish(t, dp, snap(1, l))
	addr := p.addr(t, l.Key())
	client := newHTTPClient(t)

	tests := []struct {
		name    string
		method  string
		host    string
		path    string
		headers []string
		want    string
	}{
		{"exact path", "GET", "api.example.com", "/api/exact", nil, "exact"},
		{"regex path", "GET", "api.example.com", "/items/42", nil, "regex"},
		{"header match", "GET", "api.example.com", "/api/x", []string{"X-Canary", "yes"}, "header"},
		{"query match", "GET", "api.example.com", "/api/x?v=2", nil, "query"},
		{"method match", "POST", "api.example.com", "/api/x", nil, "post"},
		{"prefix fallback within the host", "GET", "api.example.com", "/api/x?v=1", []string{"X-Canary", "no"}, "prefix"},
		{"host with port and upper case", "GET", "API.example.com:8080", "/api/exact", nil, "exact"},
		{"wildcard listener", "GET", "shop.example.com", "/", nil, "wildcard"},
		{"catch-all listener", "GET", "other.test", "/", nil, "fallback"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp := do(t, client, tc.method, addr, tc.host, tc.path, nil, tc.headers...)
			if resp.status != 200 || resp.backend != tc.want {
				t.Errorf("got %d from %q, want 200 from %q (body %q)", resp.status, resp.backend, tc.want, resp.body)
			}
		})
	}
}

func TestProblemResponses(t *testing.T) {
	t.Parallel()
	slow, _, _ := holdingBackend(t, "slow")
	refused := closedBackend(t)

	invalid := &snapshot.Backend{Name: "ns/missing:80", Weight: 1, Invalid: "Service ns/missing does not exist."}
	unsupported := routeTo("unsupported", exactPath("/unsupported-filter"), ref("ns/slow:80", 1, slow))
	unsupported.Filters = []snapshot.Filter{{Type: "RequestMirror"}}
	l := listener(1,
		routeTo("invalid", exactPath("/invalid"), invalid),
		routeTo("no-backends", exactPath("/no-backends")),
		routeTo("zero-weights", exactPath("/zero-weights"), ref("ns/slow:80", 0, slow)),
		unsupported,
		routeTo("no-endpoints", exactPath("/no-endpoints"), ref("ns/empty:80", 1)),
		routeTo("refused", exactPath("/refused"), ref("ns/refused:80", 1, refused)),
		routeTo("slow", exactPath("/slow"), ref("ns/slow:80", 1, slow)),
	)
	l.GatewayListeners[0].Hostname = "gw.test"
	l.GatewayListeners[0].VirtualHosts[0].Hostname = "gw.test"

	p := newPorts()
	dp, _ := startDataPlane(t, p, Options{Upstream: upstream.PoolOptions{ReadTimeout: 100 * time.Millisecond}})
	mustPublish(t, dp, snap(1, l))
	addr := p.addr(t, l.Key())
	client := newHTTPClient(t)

	tests := []struct {
		name, host, path string
		want             *problem.Problem
	}{
		{"no listener for the host", "nowhere.test", "/invalid", problem.NoRoute},
		{"no route for the path", "gw.test", "/nothing", problem.NoRoute},
		{"invalid backend", "gw.test", "/invalid", problem.InvalidBackend},
		{"no backends", "gw.test", "/no-backends", problem.InvalidBackend},
		{"all weights zero", "gw.test", "/zero-weights", problem.InvalidBackend},
		{"filter the data plane cannot apply", "gw.test", "/unsupported-filter", problem.RouteUnavailable},
		{"no ready endpoints", "gw.test", "/no-endpoints", problem.NoEndpoints},
		{"connection refused", "gw.test", "/refused", problem.UpstreamUnreachable},
		{"backend too slow", "gw.test", "/slow", problem.UpstreamTimeout},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp := get(t, client, addr, tc.host, tc.path)
			checkProblem(t, resp, tc.want)
			if strings.Contains(resp.body, "127.0.0.1") || strings.Contains(resp.body, "ns/") {
				t.Errorf("problem body leaks internal detail: %s", resp.body)
			}
		})
	}
}

func checkProblem(t *testing.T, resp response, want *problem.Problem) {
	t.Helper()
	if resp.status != want.Status {
		t.Errorf("status = %d, want %d (body %s)", resp.status, want.Status, resp.body)
	}
	if ct := resp.header.Get("Content-Type"); ct != problem.ContentType {
		t.Errorf("Content-Type = %q, want %q", ct, problem.ContentType)
	}
	if diff := cmp.Diff(string(want.Body()), resp.body); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

func TestRequestHeaderModifierAndForwardedHeaders(t *testing.T) {
	t.Parallel()
	b := startBackend(t, "echo")
	route := routeTo("modified", prefixPath("/"), ref("ns/echo:80", 1, b))
	route.Filters = []snapshot.Filter{{
		Type: snapshot.FilterRequestHeaderModifier,
		RequestHeaderModifier: &snapshot.HeaderModifier{
			Set:    []snapshot.Header{{Name: "X-Header-Set", Value: "set-overwrites-values"}},
			Add:    []snapshot.Header{{Name: "X-Header-Add", Value: "add-appends-values"}},
			Remove: []string{"X-Header-Remove"},
		},
	}}
	l := listener(1, route)
	p := newPorts()
	dp, _ := startDataPlane(t, p, Options{})
	mustPublish(t, dp, snap(1, l))

	resp := get(t, newHTTPClient(t), p.addr(t, l.Key()), "Shop.Example.com", "/a/b?c=d",
		"X-Header-Set", "original",
		"X-Header-Add", "original",
		"X-Header-Remove", "gone",
		"Connection", "X-Hop",
		"X-Hop", "hop",
		"X-Forwarded-For", "203.0.113.9",
		"X-Forwarded-Proto", "https",
	)
	if resp.status != 200 {
		t.Fatalf("status = %d, body %s", resp.status, resp.body)
	}
	got := map[string][]string{}
	for line := range strings.Lines(resp.body) {
		k, v, ok := strings.Cut(strings.TrimRight(line, "\n"), ": ")
		if ok {
			got[k] = append(got[k], v)
		}
	}
	want := map[string][]string{
		"Host":              {"Shop.Example.com"},
		"X-Header-Set":      {"set-overwrites-values"},
		"X-Header-Add":      {"original", "add-appends-values"},
		"X-Forwarded-For":   {"203.0.113.9, 127.0.0.1"},
		"X-Forwarded-Proto": {"http"},
		"X-Forwarded-Host":  {"Shop.Example.com"},
		"Accept-Encoding":   {"gzip"},
		"User-Agent":        {"Go-http-client/1.1"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("headers the backend received (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(resp.body, "GET /a/b?c=d\n") {
		t.Errorf("request line = %q, want GET /a/b?c=d", strings.SplitN(resp.body, "\n", 2)[0])
	}
}

func TestQueryIsForwardedAsSent(t *testing.T) {
	t.Parallel()
	b := startBackend(t, "echo")
	route := routeTo("query", prefixPath("/"), ref("ns/echo:80", 1, b))
	route.QueryParams = []snapshot.QueryParamMatch{{Name: "v", Type: snapshot.MatchExact, Value: "2"}}
	l := listener(1, route)
	p := newPorts()
	dp, _ := startDataPlane(t, p, Options{})
	mustPublish(t, dp, snap(1, l))

	// Matching reads the query; the backend must still get the client's bytes.
	const uri = "/p?b=x%20y&v=2&c&d=e+f&e=%2F"
	resp := get(t, newHTTPClient(t), p.addr(t, l.Key()), "a.test", uri)
	if resp.status != 200 {
		t.Fatalf("status = %d: %s", resp.status, resp.body)
	}
	if line, _, _ := strings.Cut(resp.body, "\n"); line != "GET "+uri {
		t.Errorf("backend request line = %q, want %q", line, "GET "+uri)
	}
}
