package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/turnpike-gateway/turnpike/dataplane/problem"
	"github.com/turnpike-gateway/turnpike/dataplane/telemetry"
)

// logBuffer collects access-log lines; it is read once the data plane has
// stopped, which flushes the log.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(b.String()))
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("access-log line %q is not JSON: %v", sc.Text(), err)
		}
		out = append(out, line)
	}
	return out
}

func TestAccessLogLines(t *testing.T) {
	t.Parallel()
	var out logBuffer
	dp, stop, addr := outcomeTestSetup(t, Options{AccessLog: telemetry.AccessLogOptions{Writer: &out}})
	sendOutcomeRequests(t, addr)
	if err := stop(); err != nil {
		t.Fatalf("stopping: %v", err)
	}
	lines := out.lines(t)
	if len(lines) != 11 {
		t.Fatalf("%d lines, want 11:\n%s", len(lines), out.String())
	}
	raw := out.String()
	for _, secret := range []string{"k-alice", "k-bob", "secret-query", "APIKEY"} {
		if strings.Contains(raw, secret) {
			t.Errorf("the access log holds %q", secret)
		}
	}

	// What varies from run to run is checked for its form, then left out.
	for i, line := range lines {
		if ts, _ := line["time"].(string); !isRFC3339Millis(ts) {
			t.Errorf("line %d: time %q is not RFC 3339 with milliseconds in UTC", i, ts)
		}
		if d, ok := line["duration_ms"].(float64); !ok || d < 0 {
			t.Errorf("line %d: duration_ms %v", i, line["duration_ms"])
		}
		if client, _ := line["client"].(string); !strings.HasPrefix(client, "127.0.0.1:") {
			t.Errorf("line %d: client %q", i, client)
		}
		if up, ok := line["upstream_ms"]; ok {
			if d, ok := up.(float64); !ok || d < 0 {
				t.Errorf("line %d: upstream_ms %v", i, up)
			}
		}
		if up, ok := line["upstream"].(string); ok && !strings.HasPrefix(up, "127.0.0.1:") {
			t.Errorf("line %d: upstream %q", i, up)
		}
		if line["socket"] != "127.0.0.1:1" {
			t.Errorf("line %d: socket %v", i, line["socket"])
		}
		for _, k := range []string{"time", "duration_ms", "client", "upstream_ms", "upstream", "socket"} {
			delete(line, k)
		}
	}
	gw := map[string]any{"gateway": "ns/gw", "listener": "http", "host": "a.test"}
	with := func(base map[string]any, kv ...any) map[string]any {
		m := map[string]any{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	forwarded := func(method, path, route string, responseBytes float64, kv ...any) map[string]any {
		return with(gw, append([]any{"method", method, "path", path, "route", route, "status", 200.0,
			"request_bytes", 0.0, "response_bytes", responseBytes, "outcome", "forwarded", "backend", "shop/ok:80",
			"user_agent", "Go-http-client/1.1"}, kv...)...)
	}
	answered := func(path, route string, status int, p *problem.Problem, outcome string, kv ...any) map[string]any {
		m := with(gw, append([]any{"method", "GET", "path", path, "status", float64(status), "request_bytes", 0.0,
			"response_bytes", float64(len(p.Body())), "outcome", outcome, "problem", p.Type,
			"user_agent", "Go-http-client/1.1"}, kv...)...)
		if route != "" {
			m["route"] = route
		}
		return m
	}
	admin := "httproute/shop/admin/rule/0/match/0"
	want := []map[string]any{
		// The query string is never logged.
		forwarded("GET", "/a", "httproute/shop/store/rule/0/match/0", 2, "user_agent", "probe/1.0"),
		forwarded("GET", "/a", "httproute/shop/store/rule/0/match/0", 2),
		forwarded("POST", "/b", "httproute/shop/store/rule/0/match/1", 2, "request_bytes", 5.0),
		forwarded("GET", "/limited", "httproute/shop/store/rule/1/match/0", 2),
		answered("/limited", "httproute/shop/store/rule/1/match/0", 429, problem.RateLimited, "rate-limited"),
		// An auth denial's detail varies; its type is read from the body.
		answered("/admin", admin, 401, problem.CredentialMissing, "auth-denied", "response_bytes", nil),
		// The identity: an API key's Secret, or the subject when there is one.
		forwarded("GET", "/admin", admin, 2, "identity", "ns/alice"),
		forwarded("GET", "/admin", admin, 2, "identity", "bob@example.com"),
		answered("/down", "httproute/shop/broken/rule/0/match/0", 502, problem.UpstreamUnreachable, "upstream-unreachable",
			"backend", "shop/down:80"),
		answered("/nothing", "", 404, problem.NoRoute, "no-route"),
		// Unreadable: only what is known.
		{"status": 400.0, "response_bytes": float64(len(problem.BadRequest.Body())), "outcome": "bad-request", "problem": problem.BadRequest.Type},
	}
	// The 401's size depends on its detail sentence.
	if n, ok := lines[5]["response_bytes"].(float64); ok && n > 0 {
		want[5]["response_bytes"] = n
	}
	if diff := cmp.Diff(want, lines, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("access log (-want +got):\n%s", diff)
	}
	if got := dp.AccessLogStats(); got != (telemetry.AccessLogStats{Written: 11}) {
		t.Errorf("access log stats %+v", got)
	}
}

func isRFC3339Millis(s string) bool {
	ts, err := time.Parse(time.RFC3339Nano, s)
	return err == nil && len(s) == len("2006-01-02T15:04:05.000Z") && strings.HasSuffix(s, "Z") && !ts.IsZero()
}

func TestAccessLogSamplesRequests(t *testing.T) {
	t.Parallel()
	var out logBuffer
	// Draws alternate below and above the rate: every other request is logged.
	var draws atomic.Int64
	random := func() float64 {
		if draws.Add(1)%2 == 1 {
			return 0.1
		}
		return 0.9
	}
	p := newPorts()
	b := startBackend(t, "ok")
	dp, stop := startDataPlane(t, p, Options{AccessLog: telemetry.AccessLogOptions{Writer: &out, SampleRate: 0.5, Random: random}})
	mustPublish(t, dp, snap(1, listener(1, routeTo("r", prefixPath("/"), ref("ns/ok:80", 1, b)))))
	c, addr := newHTTPClient(t), p.addr(t, "127.0.0.1:1")
	for i := range 6 {
		get(t, c, addr, "a.test", "/"+itoa(int32(i)))
	}
	if err := stop(); err != nil {
		t.Fatalf("stopping: %v", err)
	}
	var paths []string
	for _, line := range out.lines(t) {
		paths = append(paths, line["path"].(string))
	}
	if diff := cmp.Diff([]string{"/0", "/2", "/4"}, paths); diff != "" {
		t.Errorf("logged paths (-want +got):\n%s", diff)
	}
	// Sampling applies to the log only: every request is counted.
	var counted uint64
	for _, r := range dp.RequestMetrics().Requests {
		counted += r.Count
	}
	if counted != 6 {
		t.Errorf("%d requests counted, want 6", counted)
	}
}
