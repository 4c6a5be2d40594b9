package router

import (
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

func TestMatchSelectsListenerVirtualHostAndRoute(t *testing.T) {
	t.Parallel()
	withMethodGET := exact("get-only", "/m")
	withMethodGET.Method = "GET"
	withMethodPOST := exact("post-only", "/m")
	withMethodPOST.Method = "POST"

	headerExact := prefix("header-exact", "/h")
	headerExact.Headers = []snapshot.HeaderMatch{{Name: "X-Env", Type: snapshot.MatchExact, Value: "canary"}}
	headerRegex := prefix("header-regex", "/h")
	headerRegex.Headers = []snapshot.HeaderMatch{{
		Name: "X-Env", Type: snapshot.MatchRegularExpression, Value: "prod-[0-9]+", Regex: regexp.MustCompile("^(?:prod-[0-9]+)$"),
	}}
	headerFallback := prefix("header-none", "/h")

	queryExact := prefix("query-exact", "/q")
	queryExact.QueryParams = []snapshot.QueryParamMatch{{Name: "v", Type: snapshot.MatchExact, Value: "2"}}
	queryRegex := prefix("query-regex", "/q")
	queryRegex.QueryParams = []snapshot.QueryParamMatch{{
		Name: "v", Type: snapshot.MatchRegularExpression, Value: "[34]", Regex: regexp.MustCompile("^(?:[34])$"),
	}}

	snap := oneSocket(
		glistener("exact", "api.example.com",
			vhost("api.example.com",
				exact("exact-abc", "/abc"),
				regex("regex-abc", "/abc.*"),
				prefix("prefix-abc", "/abc"),
				withMethodGET, withMethodPOST,
				headerExact, headerRegex, headerFallback,
				queryExact, queryRegex,
				prefix("root", "/"),
			),
		),
		glistener("wildcard", "*.example.com",
			vhost("shop.example.com", prefix("shop", "/")),
			vhost("*.example.com", prefix("wild-only-x", "/x")),
		),
		glistener("any", "",
			vhost("other.test", prefix("other", "/")),
			vhost("", prefix("catch-all", "/")),
		),
	)
	table := New(snap)

	tests := []struct {
		name         string
		req          *fakeRequest
		wantRoute    string
		wantListener string
	}{
		{"exact path beats regex and prefix", req("api.example.com", "/abc"), "exact-abc", "exact"},
		{"regex beats prefix", req("api.example.com", "/abcd"), "regex-abc", "exact"},
		{"an earlier regex beats a prefix on a deeper path", req("api.example.com", "/abc/def"), "regex-abc", "exact"},
		{"method GET", req("api.example.com", "/m"), "get-only", "exact"},
		{"method POST", req("api.example.com", "/m", withMethod("POST")), "post-only", "exact"},
		{"method without route falls to root", req("api.example.com", "/m", withMethod("PUT")), "root", "exact"},
		{"header exact", req("api.example.com", "/h", withHeader("X-Env", "canary")), "header-exact", "exact"},
		{"header regex", req("api.example.com", "/h/x", withHeader("X-Env", "prod-12")), "header-regex", "exact"},
		{"header regex is anchored", req("api.example.com", "/h", withHeader("X-Env", "prod-12x")), "header-none", "exact"},
		{"header absent", req("api.example.com", "/h"), "header-none", "exact"},
		{"query exact", req("api.example.com", "/q", withQuery("v", "2")), "query-exact", "exact"},
		{"query first value counts", req("api.example.com", "/q", withQuery("v", "3"), withQuery("v", "2")), "query-regex", "exact"},
		{"query absent", req("api.example.com", "/q"), "root", "exact"},
		{"host case and port are ignored", req("API.Example.COM:8080", "/abc"), "exact-abc", "exact"},
		{"trailing dot is ignored", req("api.example.com.", "/abc"), "exact-abc", "exact"},
		{"wildcard listener, exact vhost", req("shop.example.com", "/anything"), "shop", "wildcard"},
		{"wildcard vhost", req("a.b.example.com", "/x/y"), "wild-only-x", "wildcard"},
		{"no fall-through to a later listener", req("a.example.com", "/y"), "", "wildcard"},
		{"wildcard does not match the apex", req("example.com", "/"), "catch-all", "any"},
		{"exact vhost under the any listener", req("other.test", "/"), "other", "any"},
		{"catch-all", req("unknown.test", "/"), "catch-all", "any"},
		{"IPv6 literal host", req("[::1]:8080", "/"), "catch-all", "any"},
		{"overlong host matches only hostname-less entries", req(longHost(300)+".example.com", "/"), "catch-all", "any"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			route, gl := table.Match(socketKey, tc.req)
			if got := routeID(route); got != tc.wantRoute {
				t.Errorf("route = %q, want %q", got, tc.wantRoute)
			}
			if got := listenerName(gl); got != tc.wantListener {
				t.Errorf("listener = %q, want %q", got, tc.wantListener)
			}
		})
	}
}

func longHost(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a'
	}
	return string(b)
}

func TestMatchPathPrefixSegments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		prefix, path string
		want         bool
	}{
		{"/abc", "/abc", true},
		{"/abc", "/abc/", true},
		{"/abc", "/abc/def", true},
		{"/abc", "/abcd", false},
		{"/abc", "/ab", false},
		{"/abc", "/", false},
		{"/abc/", "/abc", true}, // the Gateway API ignores a trailing slash
		{"/abc/def", "/abc/def/g", true},
		{"/abc/def", "/abc/defg", false},
		{"/abc", "/abc//x", true},
		{"/", "/", true},
		{"/", "/anything/at/all", true},
	}
	for _, tc := range tests {
		t.Run(tc.prefix+" "+tc.path, func(t *testing.T) {
			t.Parallel()
			table := New(oneSocket(glistener("l", "", vhost("", prefix("p", tc.prefix)))))
			route, _ := table.Match(socketKey, req("h", tc.path))
			if got := route != nil; got != tc.want {
				t.Errorf("prefix %q on %q matched = %v, want %v", tc.prefix, tc.path, got, tc.want)
			}
		})
	}
}

func TestMatchFailsClosed(t *testing.T) {
	t.Parallel()
	missingRegex := &snapshot.Route{ID: "missing-regex", Path: snapshot.PathMatch{Type: snapshot.PathRegularExpression, Value: "/.*"}}
	unknownPathType := &snapshot.Route{ID: "unknown-type", Path: snapshot.PathMatch{Type: "Glob", Value: "/"}}
	unknownHeaderType := prefix("unknown-header-type", "/")
	unknownHeaderType.Headers = []snapshot.HeaderMatch{{Name: "X-A", Type: "Glob", Value: "1"}}
	table := New(oneSocket(glistener("l", "", vhost("", missingRegex, unknownPathType, unknownHeaderType))))

	route, gl := table.Match(socketKey, req("h", "/x", withHeader("X-A", "1")))
	if route != nil {
		t.Errorf("matched %q; broken matches must never match", route.ID)
	}
	if listenerName(gl) != "l" {
		t.Errorf("listener = %q, want l", listenerName(gl))
	}
}

func TestMatchUnknownSocket(t *testing.T) {
	t.Parallel()
	table := New(oneSocket(glistener("l", "", vhost("", prefix("p", "/")))))
	if route, gl := table.Match("127.0.0.1:9", req("h", "/")); route != nil || gl != nil {
		t.Errorf("unknown socket matched %q on %q", routeID(route), listenerName(gl))
	}
	if route, gl := New(nil).Match(socketKey, req("h", "/")); route != nil || gl != nil {
		t.Errorf("empty table matched %q on %q", routeID(route), listenerName(gl))
	}
}

func TestNewFirstListenerWithAKeyWins(t *testing.T) {
	t.Parallel()
	snap := oneSocket(glistener("first", "", vhost("", prefix("first", "/"))))
	snap.Listeners = append(snap.Listeners, &snapshot.Listener{
		Address: "127.0.0.1", Port: 8080, Protocol: snapshot.ProtocolHTTP,
		GatewayListeners: []*snapshot.GatewayListener{glistener("second", "", vhost("", prefix("second", "/")))},
	})
	table := New(snap)
	if got := table.Socket(socketKey).Listener(); got != snap.Listeners[0] {
		t.Errorf("Socket(%q) is built from the second listener", socketKey)
	}
	route, _ := table.Match(socketKey, req("h", "/"))
	if routeID(route) != "first" {
		t.Errorf("route = %q, want first", routeID(route))
	}
}

func TestRoutesListsEachRouteOnce(t *testing.T) {
	t.Parallel()
	shared := prefix("shared", "/")
	snap := oneSocket(
		glistener("a", "a.test", vhost("a.test", exact("a1", "/a"), shared)),
		glistener("b", "b.test", vhost("b.test", shared, exact("b1", "/b"))),
	)
	snap.Listeners = append(snap.Listeners, &snapshot.Listener{
		Address: "127.0.0.1", Port: 9090, Protocol: snapshot.ProtocolHTTP,
		GatewayListeners: []*snapshot.GatewayListener{glistener("c", "", vhost("", exact("c1", "/c"), shared))},
	})
	var got []string
	for _, r := range New(snap).Routes() {
		got = append(got, r.ID)
	}
	if diff := cmp.Diff([]string{"a1", "shared", "b1", "c1"}, got); diff != "" {
		t.Errorf("Routes (-want +got):\n%s", diff)
	}
}

// TestMatchFallsThroughVirtualHosts: every route whose hostnames match competes, the
// more specific hostname first, so a path that the exact host's routes do not match
// is served by a wildcard or hostname-less route of the same listener.
func TestMatchFallsThroughVirtualHosts(t *testing.T) {
	t.Parallel()
	// api-root-get only takes GET, so that a POST to "/" must fall through.
	apiRootGet := prefix("api-root-get", "/")
	apiRootGet.Method = "GET"
	table := New(oneSocket(glistener("any", "",
		vhost("api.example.com", exact("api-v1", "/v1"), apiRootGet),
		vhost("*.example.com", prefix("wild-docs", "/docs")),
		vhost("", prefix("catch-all", "/")),
	)))
	tests := []struct {
		name string
		req  *fakeRequest
		want string
	}{
		{"exact host route wins", req("api.example.com", "/v1"), "api-v1"},
		{"exact host's own catch-all beats less specific hosts", req("api.example.com", "/docs"), "api-root-get"},
		{"falls through to the wildcard host", req("api.example.com", "/docs", withMethod("POST")), "wild-docs"},
		{"falls through to the hostname-less routes", req("api.example.com", "/other", withMethod("POST")), "catch-all"},
		{"wildcard host, then hostname-less", req("www.example.com", "/x"), "catch-all"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			route, _ := table.Match(socketKey, tc.req)
			if got := routeID(route); got != tc.want {
				t.Errorf("route = %q, want %q", got, tc.want)
			}
		})
	}
}
