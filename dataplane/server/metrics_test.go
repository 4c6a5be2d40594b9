package server

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/valyala/fasthttp"

	"github.com/turnpike-gateway/turnpike/dataplane/problem"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
	"github.com/turnpike-gateway/turnpike/dataplane/telemetry"
)

// ruleRoute is match j of rule i of HTTPRoute shop/<name>, as the compiler
// names it.
func ruleRoute(name string, rule, match int, path snapshot.PathMatch, backends ...*snapshot.Backend) *snapshot.Route {
	r := routeTo("httproute/shop/"+name+"/rule/"+strconv.Itoa(rule)+"/match/"+strconv.Itoa(match), path, backends...)
	r.RouteNamespace, r.RouteName, r.RuleIndex = "shop", name, rule
	return r
}

// rawRequest sends raw bytes on a new connection and returns the status.
func rawRequest(t *testing.T, addr, raw string) int {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(testTimeout))
	if _, err := c.Write([]byte(raw)); err != nil {
		t.Fatalf("write: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("reading response: %v", err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

// A request whose Content-Length is not a number cannot be read: 400.
const unreadableRequest = "GET / HTTP/1.1\r\nHost: a.test\r\nContent-Length: many\r\n\r\n"

// outcomeTestSetup serves, on one Gateway listener: rule 0 of shop/store with
// two matches (/a, /b), rule 1 of shop/store (/limited, one request per hour),
// shop/admin behind an API key (/admin), and shop/broken whose backend refuses
// connections (/down).
func outcomeTestSetup(t *testing.T, opts Options) (dp *DataPlane, stop func() error, addr string) {
	t.Helper()
	p := newPorts()
	ok := startBackendWith(t, "ok", func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") })
	okRef := ref("shop/ok:80", 1, ok)
	limited := ruleRoute("store", 1, 0, prefixPath("/limited"), ref("shop/ok:80", 1, ok))
	limited.RateLimits = []*snapshot.RateLimit{rateLimit(t, "l", "uid/l", 1, time.Hour)}
	admin := ruleRoute("admin", 0, 0, prefixPath("/admin"), ref("shop/ok:80", 1, ok))
	admin.Auth = apiKeyAuth(map[string]string{"k-alice": "alice"})
	subjects := admin.Auth.Authentication[0].APIKey.Keys
	subjects[snapshot.DigestAPIKey([]byte("k-bob"))] = &snapshot.APIKeyIdentity{Secret: "ns/bob", Identity: map[string]any{"sub": "bob@example.com"}}
	dp, stop = startDataPlane(t, p, opts)
	mustPublish(t, dp, snap(1, listener(1,
		ruleRoute("store", 0, 0, exactPath("/a"), okRef),
		ruleRoute("store", 0, 1, exactPath("/b"), okRef),
		limited, admin,
		ruleRoute("broken", 0, 0, prefixPath("/down"), ref("shop/down:80", 1, closedBackend(t))),
	)))
	return dp, stop, p.addr(t, "127.0.0.1:1")
}

// sendOutcomeRequests sends one request of each outcome (and a few more).
func sendOutcomeRequests(t *testing.T, addr string) {
	t.Helper()
	c := newHTTPClient(t)
	for _, tc := range []struct {
		method, path string
		body         string
		headers      []string
		status       int
	}{
		{method: "GET", path: "/a?key=secret-query", headers: []string{"User-Agent", "probe/1.0"}, status: 200},
		{method: "GET", path: "/a", status: 200},
		{method: "POST", path: "/b", body: "hello", status: 200},
		{method: "GET", path: "/limited", status: 200},
		{method: "GET", path: "/limited", status: 429},
		{method: "GET", path: "/admin", status: 401},
		{method: "GET", path: "/admin", headers: []string{"Authorization", "APIKEY k-alice"}, status: 200},
		{method: "GET", path: "/admin", headers: []string{"Authorization", "APIKEY k-bob"}, status: 200},
		{method: "GET", path: "/down", status: 502},
		{method: "GET", path: "/nothing", status: 404},
	} {
		var body io.Reader // a nil *strings.Reader would not be a nil Reader
		if tc.body != "" {
			body = strings.NewReader(tc.body)
		}
		resp := do(t, c, tc.method, addr, "a.test", tc.path, body, tc.headers...)
		if resp.status != tc.status {
			t.Fatalf("%s %s: status %d, want %d (%s)", tc.method, tc.path, resp.status, tc.status, resp.body)
		}
	}
	if status := rawRequest(t, addr, unreadableRequest); status != 400 {
		t.Fatalf("an unreadable request got %d, want 400", status)
	}
}

func key(route, rule, backend string) telemetry.BackendKey {
	gateway := "ns/gw"
	if route == "-" {
		gateway, route = "", ""
	}
	return telemetry.BackendKey{RouteKey: telemetry.RouteKey{Gateway: gateway, Route: route, Rule: rule}, Backend: backend}
}

func TestRequestMetricsCountEveryOutcome(t *testing.T) {
	t.Parallel()
	dp, _, addr := outcomeTestSetup(t, Options{})
	sendOutcomeRequests(t, addr)

	s := dp.RequestMetrics()
	count := func(k telemetry.BackendKey, o telemetry.Outcome, m telemetry.Method, status, n int) telemetry.RequestCount {
		return telemetry.RequestCount{BackendKey: k, Outcome: o, Method: m, Class: telemetry.ClassOf(status), Count: uint64(n)}
	}
	want := []telemetry.RequestCount{
		// Unreadable: no Gateway, no method.
		count(key("-", "", ""), telemetry.BadRequest, telemetry.MethodUnknown, 400, 1),
		// A listener took it, no route matched.
		count(key("", "", ""), telemetry.NoRoute, telemetry.MethodGet, 404, 1),
		count(key("httproute/shop/admin", "0", ""), telemetry.AuthDenied, telemetry.MethodGet, 401, 1),
		count(key("httproute/shop/admin", "0", "shop/ok:80"), telemetry.Forwarded, telemetry.MethodGet, 200, 2),
		count(key("httproute/shop/broken", "0", "shop/down:80"), telemetry.UpstreamUnreachable, telemetry.MethodGet, 502, 1),
		// Both matches of rule 0 count together.
		count(key("httproute/shop/store", "0", "shop/ok:80"), telemetry.Forwarded, telemetry.MethodGet, 200, 2),
		count(key("httproute/shop/store", "0", "shop/ok:80"), telemetry.Forwarded, telemetry.MethodPost, 200, 1),
		count(key("httproute/shop/store", "1", ""), telemetry.RateLimited, telemetry.MethodGet, 429, 1),
		count(key("httproute/shop/store", "1", "shop/ok:80"), telemetry.Forwarded, telemetry.MethodGet, 200, 1),
	}
	if diff := cmp.Diff(want, s.Requests); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}

	// Every handled request has a duration and an overhead; the unreadable one
	// none. Requests sent to a backend have an upstream duration, refused
	// connections included.
	wantDurations := map[telemetry.BackendKey]uint64{
		key("", "", ""): 1, key("httproute/shop/admin", "0", ""): 3, key("httproute/shop/broken", "0", ""): 1,
		key("httproute/shop/store", "0", ""): 3, key("httproute/shop/store", "1", ""): 2,
	}
	wantUpstreams := map[telemetry.BackendKey]uint64{
		key("httproute/shop/admin", "0", "shop/ok:80"): 2, key("httproute/shop/broken", "0", "shop/down:80"): 1,
		key("httproute/shop/store", "0", "shop/ok:80"): 3, key("httproute/shop/store", "1", "shop/ok:80"): 1,
	}
	for _, tc := range []struct {
		name string
		got  []telemetry.HistogramSample
		want map[telemetry.BackendKey]uint64
	}{
		{"duration", s.Durations, wantDurations},
		{"overhead", s.Overheads, wantDurations},
		{"upstream", s.Upstreams, wantUpstreams},
	} {
		got := map[telemetry.BackendKey]uint64{}
		for _, h := range tc.got {
			got[h.BackendKey] = h.Count
			checkHistogram(t, tc.name, h)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s histogram counts (-want +got):\n%s", tc.name, diff)
		}
	}

	bytes := map[telemetry.RouteKey]telemetry.ByteCount{}
	for _, b := range s.Bytes {
		bytes[b.RouteKey] = b
	}
	store0 := key("httproute/shop/store", "0", "").RouteKey
	if got := bytes[store0]; got.Request != 5 || got.Response != 3*2 {
		t.Errorf("rule 0 bytes: %+v, want 5 in (hello) and 6 out (ok three times)", got)
	}
	store1 := key("httproute/shop/store", "1", "").RouteKey
	if got, want := bytes[store1].Response, uint64(2+len(problem.RateLimited.Body())); got != want {
		t.Errorf("rule 1 sent %d body bytes, want %d (ok and the 429 problem)", got, want)
	}
}

// checkHistogram checks what can be checked of durations without timing: the
// buckets are cumulative and within the count, and the sum is not negative.
func checkHistogram(t *testing.T, name string, h telemetry.HistogramSample) {
	t.Helper()
	for i := range telemetry.NumBuckets {
		if c := h.Cumulative[i]; c > h.Count || (i > 0 && c < h.Cumulative[i-1]) {
			t.Errorf("%s histogram of %v: bucket le=%g holds %d of %d", name, h.BackendKey, telemetry.DurationBounds[i], c, h.Count)
		}
	}
	if h.Sum < 0 {
		t.Errorf("%s histogram of %v: negative sum %v", name, h.BackendKey, h.Sum)
	}
}

func TestRequestMetricsSurviveSwapsByIdentity(t *testing.T) {
	t.Parallel()
	p := newPorts()
	b := startBackendWith(t, "ok", func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") })
	dp, _ := startDataPlane(t, p, Options{})
	build := func(gen uint64, withOther bool) *snapshot.Snapshot {
		var routes []*snapshot.Route
		if withOther { // first: routes match in snapshot order
			routes = append(routes, ruleRoute("other", 0, 0, prefixPath("/other"), ref("shop/ok:80", 1, b)))
		}
		routes = append(routes, ruleRoute("store", 0, 0, prefixPath("/"), ref("shop/ok:80", 1, b)))
		return snap(gen, listener(1, routes...))
	}
	c := newHTTPClient(t)
	mustPublish(t, dp, build(1, true))
	addr := p.addr(t, "127.0.0.1:1")
	get(t, c, addr, "a.test", "/")
	get(t, c, addr, "a.test", "/other")
	// A new snapshot of new objects with the same identities, minus shop/other.
	mustPublish(t, dp, build(2, false))
	get(t, c, addr, "a.test", "/")

	got := map[string]uint64{}
	for _, r := range dp.RequestMetrics().Requests {
		got[r.Route] += r.Count
	}
	if diff := cmp.Diff(map[string]uint64{"httproute/shop/store": 2}, got); diff != "" {
		t.Errorf("requests by route after the swap (-want +got):\n%s", diff)
	}
}

func TestRequestMetricsCanBeTurnedOff(t *testing.T) {
	t.Parallel()
	dp, _, addr := outcomeTestSetup(t, Options{DisableRequestMetrics: true})
	sendOutcomeRequests(t, addr)
	if s := dp.RequestMetrics(); len(s.Requests)+len(s.Durations)+len(s.Upstreams)+len(s.Bytes) > 0 {
		t.Errorf("metrics are off, yet: %+v", s)
	}
}

func TestRequestMetricsCountAnUpgradeAs1xx(t *testing.T) {
	t.Parallel()
	p := newPorts()
	dp, _ := startDataPlane(t, p, Options{})
	ws, _ := startWebSocketBackend(t, "ws")
	mustPublish(t, dp, snap(1, listener(1, ruleRoute("chat", 0, 0, prefixPath("/"), ref("shop/ws:80", 1, ws)))))
	conn, resp, err := dialWebSocket(t, p.addr(t, "127.0.0.1:1"), "/chat")
	if err != nil {
		t.Fatalf("WebSocket handshake: %v (response %+v)", err, resp)
	}
	defer conn.Close()
	want := []telemetry.RequestCount{{
		BackendKey: key("httproute/shop/chat", "0", "shop/ws:80"),
		Outcome:    telemetry.Forwarded, Method: telemetry.MethodGet, Class: telemetry.ClassOf(101), Count: 1,
	}}
	if diff := cmp.Diff(want, dp.RequestMetrics().Requests); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}
