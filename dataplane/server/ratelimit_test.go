package server

import (
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/turnpike-gateway/turnpike/dataplane/problem"
	"github.com/turnpike-gateway/turnpike/dataplane/ratelimit"
	"github.com/turnpike-gateway/turnpike/dataplane/ratelimit/redistest"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

var expressionEnv = sync.OnceValues(snapshot.NewExpressionEnv)

func mustCompile(t testing.TB, source string) *snapshot.Expression {
	t.Helper()
	env, err := expressionEnv()
	if err != nil {
		t.Fatal(err)
	}
	e, err := snapshot.CompileExpression(env, source)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// rateLimit is a snapshot limit of policy "ns/rlp": limit per window, counted per
// the values of counters.
func rateLimit(t testing.TB, name, counterKey string, limit int64, window time.Duration, counters ...string) *snapshot.RateLimit {
	t.Helper()
	rl := &snapshot.RateLimit{
		Policy: "ns/rlp", Name: name, CounterKey: counterKey,
		Rates: []snapshot.Rate{{Limit: limit, Window: window}},
	}
	for _, c := range counters {
		rl.Counters = append(rl.Counters, mustCompile(t, c))
	}
	return rl
}

// countingBackend answers 200 and counts the requests that reach it.
func countingBackend(t *testing.T) (*backendServer, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	b := startBackendWith(t, "counted", func(ctx *fasthttp.RequestCtx) {
		n.Add(1)
		ctx.SetBodyString("ok")
	})
	return b, &n
}

func limitedRoute(b *backendServer, limits ...*snapshot.RateLimit) *snapshot.Route {
	route := routeTo("limited", prefixPath("/"), ref("ns/counted:80", 1, b))
	route.RateLimits = limits
	return route
}

func TestOverTheLimitIs429WithHeaders(t *testing.T) {
	t.Parallel()
	p := newPorts()
	backend, reached := countingBackend(t)
	dp, _ := startDataPlane(t, p, Options{})
	mustPublish(t, dp, snap(1, listener(1, limitedRoute(backend, rateLimit(t, "per-hour", "uid/per-hour", 2, time.Hour)))))
	c, addr := newHTTPClient(t), p.addr(t, "127.0.0.1:1")

	for i, wantRemaining := range []string{`"ns/rlp/per-hour";r=1;t=3600`, `"ns/rlp/per-hour";r=0;t=3600`} {
		resp := get(t, c, addr, "a.test", "/")
		if resp.status != 200 {
			t.Fatalf("request %d: status %d, want 200", i, resp.status)
		}
		if got := resp.header.Get("RateLimit-Policy"); got != `"ns/rlp/per-hour";q=2;w=3600` {
			t.Errorf("request %d: RateLimit-Policy %q", i, got)
		}
		if got := resp.header.Get("RateLimit"); got != wantRemaining {
			t.Errorf("request %d: RateLimit %q, want %q", i, got, wantRemaining)
		}
		if got := resp.header.Get("Retry-After"); got != "" {
			t.Errorf("request %d: admitted with Retry-After %q", i, got)
		}
	}

	resp := get(t, c, addr, "a.test", "/")
	if resp.status != http.StatusTooManyRequests {
		t.Fatalf("third request: status %d, want 429", resp.status)
	}
	if got := resp.header.Get("Content-Type"); got != problem.ContentType {
		t.Errorf("429 Content-Type %q", got)
	}
	var body struct {
		Type   string `json:"type"`
		Status int    `json:"status"`
	}
	if err := json.Unmarshal([]byte(resp.body), &body); err != nil || body.Type != problem.RateLimited.Type || body.Status != 429 {
		t.Errorf("429 body %s (%v)", resp.body, err)
	}
	if got := resp.header.Get("Retry-After"); got != "3600" {
		t.Errorf("Retry-After %q, want 3600", got)
	}
	if got := resp.header.Get("RateLimit"); got != `"ns/rlp/per-hour";r=0;t=3600` {
		t.Errorf("429 RateLimit %q", got)
	}
	if n := reached.Load(); n != 2 {
		t.Errorf("the backend saw %d requests, want 2 (a refused request is not forwarded)", n)
	}
}

func TestRateLimitHeadersCanBeOmittedWhenAdmitted(t *testing.T) {
	t.Parallel()
	p := newPorts()
	backend, _ := countingBackend(t)
	dp, _ := startDataPlane(t, p, Options{OmitRateLimitHeaders: true})
	mustPublish(t, dp, snap(1, listener(1, limitedRoute(backend, rateLimit(t, "l", "uid/l", 1, time.Hour)))))
	c, addr := newHTTPClient(t), p.addr(t, "127.0.0.1:1")
	ok := get(t, c, addr, "a.test", "/")
	if ok.status != 200 || ok.header.Get("RateLimit") != "" || ok.header.Get("RateLimit-Policy") != "" {
		t.Errorf("admitted: status %d, RateLimit %q, RateLimit-Policy %q; want 200 without them",
			ok.status, ok.header.Get("RateLimit"), ok.header.Get("RateLimit-Policy"))
	}
	refused := get(t, c, addr, "a.test", "/")
	if refused.status != 429 || refused.header.Get("RateLimit") == "" || refused.header.Get("Retry-After") == "" {
		t.Errorf("refused: status %d, headers %v; want 429 with RateLimit and Retry-After", refused.status, refused.header)
	}
}

func TestCountersAreKeptPerValue(t *testing.T) {
	t.Parallel()
	p := newPorts()
	backend, _ := countingBackend(t)
	dp, _ := startDataPlane(t, p, Options{})
	mustPublish(t, dp, snap(1, listener(1, limitedRoute(backend,
		rateLimit(t, "per-key", "uid/per-key", 1, time.Hour, "request.headers['x-api-key']")))))
	c, addr := newHTTPClient(t), p.addr(t, "127.0.0.1:1")
	var got []int
	for _, key := range []string{"a", "b", "a", "B", "b"} {
		got = append(got, get(t, c, addr, "a.test", "/", "X-Api-Key", key).status)
	}
	want := []int{200, 200, 429, 200, 429}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("statuses %v, want %v", got, want)
		}
	}
}

// TestRateLimitsRunBeforeFilters: a limit whose predicate reads a header that
// the route's filter sets never applies, because limits see the request as the
// client sent it.
func TestRateLimitsRunBeforeFilters(t *testing.T) {
	t.Parallel()
	p := newPorts()
	backend, _ := countingBackend(t)
	dp, _ := startDataPlane(t, p, Options{})
	limit := rateLimit(t, "only-if-set", "uid/only-if-set", 1, time.Hour)
	limit.When = []*snapshot.Expression{mustCompile(t, "request.headers['x-set'] == 'by-filter'")}
	route := limitedRoute(backend, limit)
	route.Filters = headerFilter("X-Set", "by-filter")
	mustPublish(t, dp, snap(1, listener(1, route)))
	c, addr := newHTTPClient(t), p.addr(t, "127.0.0.1:1")
	for i := range 3 {
		if resp := get(t, c, addr, "a.test", "/"); resp.status != 200 || resp.header.Get("RateLimit") != "" {
			t.Fatalf("request %d: status %d, RateLimit %q: the limit saw the filter's header", i, resp.status, resp.header.Get("RateLimit"))
		}
	}
	if resp := get(t, c, addr, "a.test", "/", "X-Set", "by-filter"); resp.status != 200 {
		t.Fatalf("client-sent header: status %d", resp.status)
	}
	if resp := get(t, c, addr, "a.test", "/", "X-Set", "by-filter"); resp.status != 429 {
		t.Errorf("second client-sent header: status %d, want 429", resp.status)
	}
}

// TestCountersSurvivePublish: a new snapshot keeps the counts of a limit whose
// CounterKey is unchanged, even when the route around it changed, and starts a
// changed limit afresh.
func TestCountersSurvivePublish(t *testing.T) {
	t.Parallel()
	p := newPorts()
	backend, _ := countingBackend(t)
	dp, _ := startDataPlane(t, p, Options{})
	c := newHTTPClient(t)
	status := func() int { return get(t, c, p.addr(t, "127.0.0.1:1"), "a.test", "/").status }

	mustPublish(t, dp, snap(1, listener(1, limitedRoute(backend, rateLimit(t, "l", "uid/l/3", 3, time.Hour)))))
	first := []int{status(), status()}

	changedRoute := limitedRoute(backend, rateLimit(t, "l", "uid/l/3", 3, time.Hour))
	changedRoute.Filters = headerFilter("X-Generation", "2")
	mustPublish(t, dp, snap(2, listener(1, changedRoute)))
	second := []int{status(), status()}

	mustPublish(t, dp, snap(3, listener(1, limitedRoute(backend, rateLimit(t, "l", "uid/l/4", 4, time.Hour)))))
	third := []int{status(), status()}

	got := [][]int{first, second, third}
	want := [][]int{{200, 200}, {200, 429}, {200, 200}}
	for i := range want {
		if got[i][0] != want[i][0] || got[i][1] != want[i][1] {
			t.Fatalf("statuses per generation %v, want %v", got, want)
		}
	}
	if n := dp.RateLimitStats().Counters; n != 1 {
		t.Errorf("%d counters held, want 1 (the replaced limit's are dropped)", n)
	}
}

func TestUnenforceableLimitFailsClosed(t *testing.T) {
	t.Parallel()
	p := newPorts()
	backend, reached := countingBackend(t)
	dp, _ := startDataPlane(t, p, Options{})
	broken := rateLimit(t, "broken", "uid/broken", 1, time.Hour)
	broken.Counters = []*snapshot.Expression{{Source: "never compiled"}}
	mustPublish(t, dp, snap(1, listener(1, limitedRoute(backend, broken))))
	resp := get(t, newHTTPClient(t), p.addr(t, "127.0.0.1:1"), "a.test", "/")
	if resp.status != 500 || reached.Load() != 0 {
		t.Errorf("status %d with %d forwarded; want 500 and nothing forwarded", resp.status, reached.Load())
	}
}

// TestTwoDataPlanesShareRedis: two data planes (two replicas) counting in one
// Redis admit no more than the limit together, under concurrent clients.
func TestTwoDataPlanesShareRedis(t *testing.T) {
	t.Parallel()
	server := redistest.Start(t)
	backend, reached := countingBackend(t)
	const limit = 25
	opts := Options{RateLimit: ratelimit.Options{Redis: ratelimit.RedisOptions{Address: server.Addr(), Timeout: 2 * time.Second}}}
	var addrs []string
	for range 2 {
		p := newPorts()
		dp, _ := startDataPlane(t, p, opts)
		mustPublish(t, dp, snap(1, listener(1, limitedRoute(backend, rateLimit(t, "shared", "uid/shared", limit, time.Hour)))))
		addrs = append(addrs, p.addr(t, "127.0.0.1:1"))
	}
	var ok, limited, other atomic.Int64
	var wg sync.WaitGroup
	for i := range 8 {
		c := newHTTPClient(t)
		wg.Go(func() {
			for range 15 {
				switch get(t, c, addrs[i%2], "a.test", "/").status {
				case 200:
					ok.Add(1)
				case 429:
					limited.Add(1)
				default:
					other.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if ok.Load() != limit || limited.Load() != 120-limit || other.Load() != 0 || reached.Load() != limit {
		t.Errorf("200: %d, 429: %d, other: %d, forwarded: %d; want %d admitted in all", ok.Load(), limited.Load(), other.Load(), reached.Load(), limit)
	}
}

// TestRedisOutageFailClosed: with Redis gone, requests are refused with 503
// (not 429: nobody is known to be over a limit); once it is back, limiting
// resumes by itself.
func TestRedisOutageFailClosed(t *testing.T) {
	t.Parallel()
	server := redistest.Start(t)
	backend, _ := countingBackend(t)
	p := newPorts()
	dp, _ := startDataPlane(t, p, Options{RateLimit: ratelimit.Options{Redis: ratelimit.RedisOptions{
		Address: server.Addr(), FailureMode: ratelimit.FailClosed, Timeout: 2 * time.Second, RetryInterval: 20 * time.Millisecond,
	}}})
	mustPublish(t, dp, snap(1, listener(1, limitedRoute(backend, rateLimit(t, "l", "uid/l", 1, time.Hour)))))
	c, addr := newHTTPClient(t), p.addr(t, "127.0.0.1:1")
	if s := []int{get(t, c, addr, "a.test", "/").status, get(t, c, addr, "a.test", "/").status}; s[0] != 200 || s[1] != 429 {
		t.Fatalf("before the outage: %v, want [200 429]", s)
	}
	server.Stop()
	resp := get(t, c, addr, "a.test", "/")
	if resp.status != 503 || resp.header.Get("Retry-After") != "1" || resp.header.Get("RateLimit") != "" {
		t.Errorf("during the outage: status %d, headers %v; want 503, Retry-After 1, no RateLimit", resp.status, resp.header)
	}
	if !jsonHasType(resp.body, problem.RateLimitUnavailable.Type) {
		t.Errorf("during the outage: body %s", resp.body)
	}
	if s := dp.RateLimitStats(); s.RedisErrors == 0 {
		t.Errorf("stats %+v: no Redis error counted", s)
	}
	server.Restart()
	deadline := time.Now().Add(testTimeout)
	for get(t, c, addr, "a.test", "/").status != 200 {
		if time.Now().After(deadline) {
			t.Fatal("requests were not admitted again after Redis came back")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if status := get(t, c, addr, "a.test", "/").status; status != 429 {
		t.Errorf("after the outage: status %d, want 429 (limiting resumed)", status)
	}
}

func jsonHasType(body, typ string) bool {
	var doc struct {
		Type string `json:"type"`
	}
	return json.Unmarshal([]byte(body), &doc) == nil && doc.Type == typ
}
