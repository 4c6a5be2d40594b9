package helm

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// turnpikeProcess is a running `turnpike serve` and everything it has logged.
type turnpikeProcess struct {
	cmd    *exec.Cmd
	exited chan struct{}
	mu     sync.Mutex
	output bytes.Buffer
}

func (p *turnpikeProcess) Write(data []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.output.Write(data)
}

// String is the whole log so far.
func (p *turnpikeProcess) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.output.String()
}

// startTurnpike runs the binary built in TestMain with args and extra environment; it
// is killed when the test ends if stopTurnpike did not stop it.
func startTurnpike(t *testing.T, args, environment []string) *turnpikeProcess {
	t.Helper()
	process := &turnpikeProcess{cmd: exec.Command(turnpikeBin, args...), exited: make(chan struct{})}
	process.cmd.Env = append(os.Environ(), environment...)
	process.cmd.Stdout, process.cmd.Stderr = process, process
	if err := process.cmd.Start(); err != nil {
		t.Fatalf("starting turnpike: %v", err)
	}
	go func() {
		_ = process.cmd.Wait()
		close(process.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-process.exited:
		default:
			_ = process.cmd.Process.Kill()
			<-process.exited
		}
	})
	return process
}

// stopTurnpike sends SIGTERM and expects a clean exit.
func stopTurnpike(t *testing.T, process *turnpikeProcess) {
	t.Helper()
	if err := process.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("turnpike exited before SIGTERM: %v\n%s", err, process.String())
	}
	select {
	case <-process.exited:
		if !process.cmd.ProcessState.Success() {
			t.Errorf("turnpike serve exited with %v after SIGTERM\n%s", process.cmd.ProcessState, process.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("turnpike serve did not exit within 60s of SIGTERM\n%s", process.String())
	}
}

// waitFor polls check until it passes; the deadline only guards against a hang.
func waitFor(t *testing.T, what string, process *turnpikeProcess, check func() error) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := check()
		if err == nil {
			return
		}
		select {
		case <-process.exited:
			t.Fatalf("%s: turnpike exited (%v): %v\n%s", what, process.cmd.ProcessState, err, process.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v\nturnpike output:\n%s", what, err, indent(process.String()))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func indent(s string) string { return "  " + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n  ") }
