package upstream

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// deadlineRecorder is a net.Conn that records the read deadlines it is given.
type deadlineRecorder struct {
	net.Conn
	armed []time.Time
}

func (r *deadlineRecorder) SetReadDeadline(t time.Time) error {
	r.armed = append(r.armed, t)
	return nil
}

func TestCoalescedReadDeadline(t *testing.T) {
	t.Parallel()
	const timeout = 64 * time.Second // slack: 1 s
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(seconds float64) time.Time { return base.Add(time.Duration(seconds * float64(time.Second))) }
	tests := []struct {
		name      string
		requested []time.Time
		wantArmed []time.Time
	}{
		{
			name:      "the first deadline is armed with the slack",
			requested: []time.Time{at(64)},
			wantArmed: []time.Time{at(65)},
		},
		{
			name:      "deadlines within the slack reuse the armed one",
			requested: []time.Time{at(64), at(64.25), at(64.5), at(65)},
			wantArmed: []time.Time{at(65)},
		},
		{
			name:      "a deadline past the armed one re-arms",
			requested: []time.Time{at(64), at(65.5), at(66)},
			wantArmed: []time.Time{at(65), at(66.5)},
		},
		{
			name:      "a deadline earlier than the armed one by more than the slack re-arms",
			requested: []time.Time{at(64), at(10)},
			wantArmed: []time.Time{at(65), at(11)},
		},
		{
			name:      "clearing is passed on once",
			requested: []time.Time{at(64), {}, {}, at(64)},
			wantArmed: []time.Time{at(65), {}, at(65)},
		},
		{
			name:      "clearing a connection that has no deadline does nothing",
			requested: []time.Time{{}},
			wantArmed: nil,
		},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			recorder := &deadlineRecorder{}
			conn := newCoalescedDeadlineConn(recorder, timeout, timeout)
			for _, deadline := range test.requested {
				if err := conn.SetReadDeadline(deadline); err != nil {
					t.Fatalf("SetReadDeadline(%v): %v", deadline, err)
				}
				// Whatever was skipped, the armed deadline serves the request:
				// never earlier, never later by more than the slack.
				if armed := conn.read.armed; !deadline.IsZero() && (armed.Before(deadline) || armed.Sub(deadline) > timeout/deadlineSlackDivisor) {
					t.Errorf("after asking for %v the armed deadline is %v", deadline, armed)
				}
			}
			if diff := cmp.Diff(test.wantArmed, recorder.armed); diff != "" {
				t.Errorf("deadlines armed on the connection (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReusedConnectionStillTimesOut proves that coalescing keeps the read
// timeout: the second request on a pooled connection, whose deadline was not
// re-armed, still ends as Timeout when the backend never answers it.
func TestReusedConnectionStillTimesOut(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	accepted := make(chan int, 4)
	done := make(chan struct{})
	var wg sync.WaitGroup
	t.Cleanup(func() {
		close(done)
		_ = ln.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for n := 1; ; n++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- n
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				buf := make([]byte, 4096)
				// Answer the first request, then read the second and hold it.
				if _, err := c.Read(buf); err != nil {
					return
				}
				if _, err := c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")); err != nil {
					return
				}
				_, _ = c.Read(buf)
				<-done
			}()
		}
	}()

	// A read timeout long enough for the first answer on a busy machine. Its
	// slack (1/64 of it, 31 ms) is usually longer than the time between the two
	// requests, so the second one runs on the deadline armed for the first; if
	// the machine stalls it is re-armed instead. Either way it must time out.
	pools := NewPools(PoolOptions{ReadTimeout: 2 * time.Second})
	ep := endpointFor(t, pools, ln.Addr().String())
	if outcome, err := ep.Forward(newCtx(t, "GET /first HTTP/1.1\r\nHost: a.test\r\n\r\n")); outcome != OK {
		t.Fatalf("first request: %v (%v), want OK", outcome, err)
	}
	if outcome, err := ep.Forward(newCtx(t, "GET /second HTTP/1.1\r\nHost: a.test\r\n\r\n")); outcome != Timeout {
		t.Errorf("second request: %v (%v), want Timeout", outcome, err)
	}
	if got := len(accepted); got != 1 {
		t.Errorf("backend accepted %d connections, want 1 (the second request must reuse the first's)", got)
	}
}
