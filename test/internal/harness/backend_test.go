package harness

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
		if err := RequireLoopback(test.address); (err != nil) != test.wantErr {
			t.Errorf("RequireLoopback(%q) = %v, want an error: %v", test.address, err, test.wantErr)
		}
	}
}

func TestServeFixedBodyAnswersOnEveryListenerUntilCancelled(t *testing.T) {
	t.Parallel()
	body := []byte("fixed body\n")
	ports, err := FreePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	addresses := []string{Loopback(ports[0]), Loopback(ports[1])}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- ServeFixedBody(ctx, "test-backend", addresses, body) }()
	defer func() {
		cancel()
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("ServeFixedBody after cancel: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("ServeFixedBody did not return after its context was cancelled")
		}
	}()

	client := &http.Client{Timeout: 5 * time.Second}
	for _, address := range addresses {
		var lastErr error
		for range 500 { // the listeners open right after the goroutine starts
			if lastErr = DialCheck(address)(); lastErr == nil {
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
		got, _ := io.ReadAll(response.Body)
		response.Body.Close()
		if response.StatusCode != http.StatusOK || string(got) != string(body) {
			t.Errorf("POST /any/path answered %d %q, want 200 %q", response.StatusCode, got, body)
		}
	}
}

func TestServeFixedBodyRefusesANonLoopbackAddress(t *testing.T) {
	t.Parallel()
	err := ServeFixedBody(context.Background(), "test-backend", []string{"0.0.0.0:0"}, nil)
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1 only") {
		t.Errorf("ServeFixedBody on 0.0.0.0 = %v, want a refusal", err)
	}
}

func TestServeFixedBodyFailsOnABusyPort(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	err = ServeFixedBody(context.Background(), "test-backend", []string{busy.Addr().String()}, nil)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("listening on %s", busy.Addr())) {
		t.Errorf("ServeFixedBody on a busy port = %v, want a listen error", err)
	}
}

func TestFreePortsAreDistinctAndFree(t *testing.T) {
	t.Parallel()
	// Other test packages run at the same time and bind ports FreePorts may also
	// pick (that is the race FreePorts makes unlikely, not impossible), so one
	// port taken between FreePorts and the check proves nothing. A FreePorts that
	// returned ports it still held, or reused, would fail every round.
	var taken []string
	for round := 0; round < 3; round++ {
		ports, err := FreePorts(5)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[int]bool{}
		for _, port := range ports {
			if seen[port] {
				t.Fatalf("port %d handed out twice in %v", port, ports)
			}
			seen[port] = true
		}
		taken = taken[:0]
		for _, port := range ports {
			listener, err := net.Listen("tcp4", Loopback(port))
			if err != nil {
				taken = append(taken, err.Error())
				continue
			}
			listener.Close()
		}
		if len(taken) == 0 {
			return
		}
		t.Logf("round %d: ports taken by someone else in the meantime: %v", round, taken)
	}
	t.Errorf("in every round, ports were not free after FreePorts returned: %v", taken)
}
