package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

var logStart = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// writeTestLog logs lines one second apart from logStart, alternating streams.
func writeTestLog(t *testing.T, path string, lines ...string) *logSink {
	t.Helper()
	sink, err := newLogSink(path)
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	sink.now = func() time.Time { i++; return logStart.Add(time.Duration(i-1) * time.Second) }
	for n, line := range lines {
		stream := "stdout"
		if n%2 == 1 {
			stream = "stderr"
		}
		sink.copyFrom(stream, strings.NewReader(line))
	}
	return sink
}

func TestWriteLogs(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "0.log")
	sink := writeTestLog(t, path, "one\n", "two", "three\n", "four\n")
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		query string
		want  string
	}{
		{query: "", want: "one\ntwo\nthree\nfour\n"},
		{query: "tailLines=2", want: "three\nfour\n"},
		{query: "tailLines=0", want: ""},
		{query: "sinceTime=2025-06-01T12:00:02Z", want: "three\nfour\n"},
		{query: "sinceTime=2025-06-01T12:00:01Z&tailLines=1", want: "four\n"},
		{query: "timestamps=true&tailLines=1", want: "2025-06-01T12:00:03Z four\n"},
		{query: "limitBytes=6", want: "one\ntw"},
	}
	closed := make(chan struct{})
	close(closed)
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			q, _ := url.ParseQuery(tt.query)
			opts, err := parseLogOptions(q, logStart)
			if err != nil {
				t.Fatal(err)
			}
			var out strings.Builder
			if err := writeLogs(context.Background(), &out, path, opts, closed); err != nil {
				t.Fatal(err)
			}
			if out.String() != tt.want {
				t.Errorf("logs = %q, want %q", out.String(), tt.want)
			}
		})
	}
	for _, bad := range []string{"tailLines=-1", "sinceSeconds=0", "sinceTime=yesterday", "follow=maybe", "limitBytes=x"} {
		q, _ := url.ParseQuery(bad)
		if _, err := parseLogOptions(q, logStart); err == nil {
			t.Errorf("parseLogOptions(%s) accepted it", bad)
		}
	}
}

// TestContainerLogsServer reads a running container's log over HTTPS as the API
// server does, following it until the container stops.
func TestContainerLogsServer(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	logDir := filepath.Join(dir, "logs", "echo")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	sink := writeTestLog(t, filepath.Join(logDir, "0.log"), "previous run\n")
	_ = sink.Close()
	sink = writeTestLog(t, filepath.Join(logDir, "1.log"), "Echoing back request made to /mirror to client\n")
	done := make(chan struct{})
	k := &kubelet{running: map[string]*podRuntime{
		"infra/echo-1": {dir: dir, containers: []*container{{
			name: "echo", restartCount: 1, lastState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 2}},
			instance: &instance{logPath: filepath.Join(logDir, "1.log"), done: done},
		}}},
	}}
	server := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The real mux fills the path values; the test server has no pattern.
		parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/containerLogs/"), "/")
		r.SetPathValue("namespace", parts[0])
		r.SetPathValue("pod", parts[1])
		r.SetPathValue("container", parts[2])
		k.serveContainerLogs(w, r)
	}))
	defer server.Close()
	get := func(path string) (int, string) {
		resp, err := server.Client().Get(server.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := get("/containerLogs/infra/echo-1/echo"); code != 200 || body != "Echoing back request made to /mirror to client\n" {
		t.Errorf("current log: %d %q", code, body)
	}
	if code, body := get("/containerLogs/infra/echo-1/echo?previous=true"); code != 200 || body != "previous run\n" {
		t.Errorf("previous log: %d %q", code, body)
	}
	if code, _ := get("/containerLogs/infra/echo-1/other"); code != http.StatusNotFound {
		t.Errorf("unknown container: %d, want 404", code)
	}
	if code, _ := get("/containerLogs/infra/echo-2/echo"); code != http.StatusNotFound {
		t.Errorf("unknown pod: %d, want 404", code)
	}
	// Follow: a line written later arrives, and the stream ends when the
	// instance stops.
	followed := make(chan string, 1)
	go func() {
		_, body := get("/containerLogs/infra/echo-1/echo?follow=true")
		followed <- body
	}()
	time.Sleep(300 * time.Millisecond)
	sink.copyFrom("stdout", strings.NewReader("later\n"))
	_ = sink.Close()
	close(done)
	if body := <-followed; body != "Echoing back request made to /mirror to client\nlater\n" {
		t.Errorf("followed log = %q", body)
	}
}
