package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRequireLoopback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		address string
		wantErr bool
	}{
		{address: "127.0.0.1:9001"},
		{address: "127.0.0.1:0"},
		{address: "0.0.0.0:9001", wantErr: true},
		{address: ":9001", wantErr: true},
		{address: "localhost:9001", wantErr: true},
		{address: "[::1]:9001", wantErr: true},
		{address: "10.0.0.1:9001", wantErr: true},
		{address: "127.0.0.1", wantErr: true},
	}
	for _, test := range tests {
		if err := requireLoopback(test.address); (err != nil) != test.wantErr {
			t.Errorf("requireLoopback(%q) = %v, want an error: %v", test.address, err, test.wantErr)
		}
	}
}

func TestServeBackendAnswersOnEveryListenerUntilCancelled(t *testing.T) {
	t.Parallel()
	ports, err := freePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	addresses := []string{loopback(ports[0]), loopback(ports[1])}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serveBackend(ctx, addresses) }()
	defer func() {
		cancel()
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("serveBackend after cancel: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("serveBackend did not return after its context was cancelled")
		}
	}()

	client := &http.Client{Timeout: 5 * time.Second}
	for _, address := range addresses {
		var lastErr error
		for range 500 { // the listeners open right after the goroutine starts
			if lastErr = backendBodyCheck(address)(); lastErr == nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if lastErr != nil {
			t.Fatalf("backend on %s: %v", address, lastErr)
		}
		response, err := client.Post("http://"+address+"/any/path", "text/plain", strings.NewReader("ignored"))
		if err != nil {
			t.Fatalf("POST to the backend: %v", err)
		}
		body, _ := io.ReadAll(response.Body)
		response.Body.Close()
		if response.StatusCode != http.StatusOK || string(body) != string(backendBody) {
			t.Errorf("POST /any/path answered %d %q, want 200 %q", response.StatusCode, body, backendBody)
		}
	}
}

func TestServeBackendRefusesANonLoopbackAddress(t *testing.T) {
	t.Parallel()
	err := serveBackend(context.Background(), []string{"0.0.0.0:0"})
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1 only") {
		t.Errorf("serveBackend on 0.0.0.0 = %v, want a refusal", err)
	}
}

func TestServeBackendFailsOnABusyPort(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	err = serveBackend(context.Background(), []string{busy.Addr().String()})
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("listening on %s", busy.Addr())) {
		t.Errorf("serveBackend on a busy port = %v, want a listen error", err)
	}
}

func TestRunBackendFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want int
	}{
		{name: "no --listen", args: nil, want: 2},
		{name: "extra argument", args: []string{"--listen", "127.0.0.1:1", "extra"}, want: 2},
		{name: "unknown flag", args: []string{"--port", "1"}, want: 2},
		{name: "non-loopback address", args: []string{"--listen", "0.0.0.0:0"}, want: 1},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			if got := runBackend(test.args, io.Discard); got != test.want {
				t.Errorf("runBackend(%q) = %d, want %d", test.args, got, test.want)
			}
		})
	}
}
