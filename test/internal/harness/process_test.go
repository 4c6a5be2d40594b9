package harness

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestTailBufferKeepsTheEnd(t *testing.T) {
	t.Parallel()
	buffer := NewTailBuffer(8)
	for _, chunk := range []string{"abc", "defgh", "ijk", "", "lmnopqrstuvwxyz"} {
		if n, err := buffer.Write([]byte(chunk)); n != len(chunk) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", chunk, n, err)
		}
	}
	if got, want := buffer.String(), "stuvwxyz"; got != want {
		t.Errorf("tail = %q, want %q", got, want)
	}
}

func TestStopAllEndsEveryChild(t *testing.T) {
	t.Parallel()
	var procs Processes
	var started []*Process
	for _, name := range []string{"first", "second"} {
		child, err := procs.Start(name, "sleep", "60")
		if err != nil {
			t.Fatal(err)
		}
		started = append(started, child)
	}
	procs.StopAll()
	for _, child := range started {
		if child.Running() {
			t.Errorf("%s still runs after StopAll", child.Name)
		}
	}
	procs.StopAll() // nothing left: must return at once
}

func TestStopEndsOneChildAndForgetsIt(t *testing.T) {
	t.Parallel()
	var procs Processes
	stopped, err := procs.Start("stopped", "sleep", "60")
	if err != nil {
		t.Fatal(err)
	}
	kept, err := procs.Start("kept", "sleep", "60")
	if err != nil {
		t.Fatal(err)
	}
	defer procs.StopAll()
	procs.Stop(stopped)
	if stopped.Running() || !kept.Running() {
		t.Errorf("after Stop(stopped): stopped running %v, kept running %v; want false, true", stopped.Running(), kept.Running())
	}
	procs.Stop(stopped) // a second stop of an exited child is harmless
}

func TestWaitFor(t *testing.T) {
	t.Parallel()
	var procs Processes
	defer procs.StopAll()
	sleeper, err := procs.Start("sleeper", "sleep", "60")
	if err != nil {
		t.Fatal(err)
	}
	failing, err := procs.Start("failing", "sh", "-c", "echo it broke; exit 3")
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	succeedsThirdTime := func() error {
		if calls++; calls < 3 {
			return errors.New("not yet")
		}
		return nil
	}
	never := func() error { return errors.New("never ready") }
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()

	tests := []struct {
		name    string
		ctx     context.Context
		child   *Process
		timeout time.Duration
		check   func() error
		wantErr string
	}{
		{name: "ready after a few polls", ctx: context.Background(), child: sleeper, timeout: time.Minute, check: succeedsThirdTime},
		{name: "timeout names the last failure", ctx: context.Background(), child: sleeper, timeout: 100 * time.Millisecond, check: never, wantErr: "not ready within 100ms: never ready"},
		{name: "an exit ends the wait with the child's output", ctx: context.Background(), child: failing, timeout: time.Minute, check: never, wantErr: "it broke"},
		{name: "a cancelled context ends the wait", ctx: cancelled, child: sleeper, timeout: time.Minute, check: never, wantErr: context.Canceled.Error()},
	}
	for _, test := range tests {
		err := WaitFor(test.ctx, test.child, test.timeout, "thing", test.check)
		if test.wantErr == "" {
			if err != nil {
				t.Errorf("%s: WaitFor = %v, want success", test.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), test.wantErr) {
			t.Errorf("%s: WaitFor = %v, want an error containing %q", test.name, err, test.wantErr)
		}
	}
}
