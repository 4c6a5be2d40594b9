package server

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp/fasthttputil"

	"github.com/turnpike-gateway/turnpike/dataplane/problem"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// inmemorySocket serves the snapshot's single socket on an in-memory listener.
// Pipes keep the server's answer readable after it closes the connection, which a
// TCP reset could discard when the client is still sending an oversized request.
func inmemorySocket(t *testing.T, opts Options, s *snapshot.Snapshot) *fasthttputil.InmemoryListener {
	t.Helper()
	ln := fasthttputil.NewInmemoryListener()
	opts.Listen = func(string, string) (net.Listener, error) { return ln, nil }
	dp, _ := startDataPlane(t, nil, opts)
	mustPublish(t, dp, s)
	return ln
}

// exchange writes raw bytes on a new connection and reads one response.
func exchange(t *testing.T, ln *fasthttputil.InmemoryListener, raw string) response {
	t.Helper()
	c, err := ln.Dial()
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(testTimeout))
	go func() { _, _ = io.WriteString(c, raw) }() // the server may stop reading early
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("reading response: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

func TestLimitsAnswerWithProblems(t *testing.T) {
	t.Parallel()
	b := startBackend(t, "ok")
	s := snap(1, listener(1, routeTo("r", prefixPath("/"), ref("ns/ok:80", 1, b))))
	ln := inmemorySocket(t, Options{MaxHeaderBytes: 1024, MaxRequestBodyBytes: 1024, ReadTimeout: 200 * time.Millisecond}, s)

	tests := []struct {
		name string
		raw  string
		want *problem.Problem
	}{
		{
			name: "headers over the limit",
			raw:  "GET / HTTP/1.1\r\nHost: a.test\r\nX-Big: " + strings.Repeat("x", 4096) + "\r\n\r\n",
			want: problem.HeaderTooLarge,
		},
		{
			name: "declared body over the limit",
			raw:  "POST / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 4096\r\n\r\n" + strings.Repeat("x", 4096),
			want: problem.BodyTooLarge,
		},
		{
			name: "chunked body over the limit",
			raw:  "POST / HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n1000\r\n" + strings.Repeat("x", 4096) + "\r\n0\r\n\r\n",
			want: problem.BodyTooLarge,
		},
		{
			name: "garbage",
			raw:  "NOT HTTP AT ALL\r\n\r\n",
			want: problem.BadRequest,
		},
		{
			name: "request not finished in time",
			raw:  "POST / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 10\r\n\r\nabc",
			want: problem.RequestTimeout,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkProblem(t, exchange(t, ln, tc.raw), tc.want)
		})
	}

	t.Run("within the limits", func(t *testing.T) {
		t.Parallel()
		body := strings.Repeat("y", 1000)
		resp := exchange(t, ln, "POST / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n"+body)
		if resp.status != 200 || resp.header.Get("X-Backend") != "ok" {
			t.Errorf("got %d from %q, want 200 from ok", resp.status, resp.header.Get("X-Backend"))
		}
	})
}
