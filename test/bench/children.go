package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// stopGrace is how long a child gets to exit on SIGTERM before it is killed.
const stopGrace = 5 * time.Second

// childProcess is one process the bench started and must stop.
type childProcess struct {
	name   string
	cmd    *exec.Cmd
	output *tailBuffer
	// exited is closed once the process has exited and waitErr is set.
	exited  chan struct{}
	waitErr error
}

// pid is the child's process id.
func (c *childProcess) pid() int { return c.cmd.Process.Pid }

// exitError describes an early exit with the end of what the child wrote.
func (c *childProcess) exitError() error {
	return fmt.Errorf("%s exited early (%v); its last output:\n%s", c.name, c.waitErr, c.output.String())
}

// children starts processes and stops every one of them, whatever way the bench ends.
type children struct {
	mu      sync.Mutex
	started []*childProcess
}

// start runs path with args, its stdout and stderr kept in a tail buffer. The child
// is also set to die with the bench (see childSysProcAttr), so a bench killed with
// SIGKILL leaves nothing behind either.
func (cs *children) start(name, path string, args ...string) (*childProcess, error) {
	cmd := exec.Command(path, args...)
	output := newTailBuffer(64 << 10)
	cmd.Stdout, cmd.Stderr = output, output
	cmd.SysProcAttr = childSysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	child := &childProcess{name: name, cmd: cmd, output: output, exited: make(chan struct{})}
	go func() {
		child.waitErr = cmd.Wait()
		close(child.exited)
	}()
	cs.mu.Lock()
	cs.started = append(cs.started, child)
	cs.mu.Unlock()
	return child, nil
}

// stopAll sends SIGTERM to every child still running, newest first (Turnpike before
// the backend it proxies to), and kills those still running after stopGrace.
func (cs *children) stopAll() {
	cs.mu.Lock()
	started := cs.started
	cs.started = nil
	cs.mu.Unlock()
	for i := len(started) - 1; i >= 0; i-- {
		child := started[i]
		_ = child.cmd.Process.Signal(syscall.SIGTERM) // fails only if it already exited
		select {
		case <-child.exited:
		case <-time.After(stopGrace):
			fmt.Fprintf(os.Stderr, "bench: %s did not stop within %s of SIGTERM; killing it\n", child.name, stopGrace)
			_ = child.cmd.Process.Kill()
			<-child.exited
		}
	}
}

// waitFor polls check every 20ms until it succeeds, the child exits, ctx is done
// or timeout passes; the error then says which, with the last check failure.
func waitFor(ctx context.Context, child *childProcess, timeout time.Duration, what string, check func() error) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	ticker := time.NewTicker(20 * time.Millisecond)
	defer ticker.Stop()
	for {
		lastErr := check()
		if lastErr == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-child.exited:
			return child.exitError()
		case <-deadline.C:
			return fmt.Errorf("%s: %s not ready within %s: %w; its last output:\n%s",
				child.name, what, timeout, lastErr, child.output.String())
		case <-ticker.C:
		}
	}
}

// dialCheck succeeds once address accepts TCP connections.
func dialCheck(address string) func() error {
	return func() error {
		conn, err := net.DialTimeout("tcp4", address, time.Second)
		if err != nil {
			return err
		}
		return conn.Close()
	}
}

// httpOKCheck succeeds once url answers 200.
func httpOKCheck(url string) func() error {
	client := &http.Client{Timeout: time.Second}
	return func() error {
		response, err := client.Get(url)
		if err != nil {
			return err
		}
		response.Body.Close()
		if response.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s answered %s", url, response.Status)
		}
		return nil
	}
}

// tailBuffer keeps the last limit bytes written to it; children write to it from
// the exec package's copying goroutines while the bench may read it.
type tailBuffer struct {
	mu    sync.Mutex
	limit int
	data  []byte
}

func newTailBuffer(limit int) *tailBuffer { return &tailBuffer{limit: limit} }

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.data = append(b.data, p...)
	if excess := len(b.data) - b.limit; excess > 0 {
		b.data = append(b.data[:0], b.data[excess:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.data)
}

// errInterrupted marks a run stopped by SIGINT or SIGTERM.
var errInterrupted = errors.New("interrupted")
