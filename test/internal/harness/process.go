package harness

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// StopGrace is how long a child gets to exit on SIGTERM before it is killed.
const StopGrace = 5 * time.Second

// Process is one child process a harness started and must stop.
type Process struct {
	Name string
	Cmd  *exec.Cmd
	// Output holds the end of what the child wrote to stdout and stderr.
	Output *TailBuffer
	// Exited is closed once the process has exited; WaitErr is set by then.
	Exited  chan struct{}
	WaitErr error
}

// PID is the child's process id.
func (p *Process) PID() int { return p.Cmd.Process.Pid }

// ExitError describes an early exit with the end of what the child wrote.
func (p *Process) ExitError() error {
	return fmt.Errorf("%s exited early (%v); its last output:\n%s", p.Name, p.WaitErr, p.Output.String())
}

// Running reports whether the child has not exited yet.
func (p *Process) Running() bool {
	select {
	case <-p.Exited:
		return false
	default:
		return true
	}
}

// Processes starts children and stops every one of them, whatever way the harness
// ends. The zero value is ready to use.
type Processes struct {
	mu      sync.Mutex
	started []*Process
}

// Start runs path with args, its stdout and stderr kept in a tail buffer.
func (ps *Processes) Start(name, path string, args ...string) (*Process, error) {
	return ps.StartCommand(name, exec.Command(path, args...))
}

// StartCommand starts cmd (whose Dir and Env the caller may have set), with its
// output kept in a tail buffer. The child is also set to die with the harness (see
// childSysProcAttr), so a harness killed with SIGKILL leaves nothing behind either;
// that holds through exec, so `taskset -c N prog` is covered as well.
func (ps *Processes) StartCommand(name string, cmd *exec.Cmd) (*Process, error) {
	output := NewTailBuffer(64 << 10)
	cmd.Stdout, cmd.Stderr = output, output
	cmd.SysProcAttr = childSysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	child := &Process{Name: name, Cmd: cmd, Output: output, Exited: make(chan struct{})}
	go func() {
		child.WaitErr = cmd.Wait()
		close(child.Exited)
	}()
	ps.mu.Lock()
	ps.started = append(ps.started, child)
	ps.mu.Unlock()
	return child, nil
}

// Stop sends SIGTERM to one child and kills it if it is still running after
// StopGrace. It is safe to call on a child that has exited, and more than once.
func (ps *Processes) Stop(child *Process) {
	ps.mu.Lock()
	for i, p := range ps.started {
		if p == child {
			ps.started = append(ps.started[:i], ps.started[i+1:]...)
			break
		}
	}
	ps.mu.Unlock()
	stop(child)
}

// StopAll stops every child still running, newest first (a proxy before the
// backend it forwards to).
func (ps *Processes) StopAll() {
	ps.mu.Lock()
	started := ps.started
	ps.started = nil
	ps.mu.Unlock()
	for i := len(started) - 1; i >= 0; i-- {
		stop(started[i])
	}
}

func stop(child *Process) {
	_ = child.Cmd.Process.Signal(syscall.SIGTERM) // fails only if it already exited
	select {
	case <-child.Exited:
	case <-time.After(StopGrace):
		fmt.Fprintf(os.Stderr, "harness: %s did not stop within %s of SIGTERM; killing it\n", child.Name, StopGrace)
		_ = child.Cmd.Process.Kill()
		<-child.Exited
	}
}

// WaitFor polls check every 20ms until it succeeds, the child exits, ctx is done or
// timeout passes; the error then says which, with the last check failure.
func WaitFor(ctx context.Context, child *Process, timeout time.Duration, what string, check func() error) error {
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
		case <-child.Exited:
			return child.ExitError()
		case <-deadline.C:
			return fmt.Errorf("%s: %s not ready within %s: %w; its last output:\n%s",
				child.Name, what, timeout, lastErr, child.Output.String())
		case <-ticker.C:
		}
	}
}

// DialCheck succeeds once address accepts TCP connections.
func DialCheck(address string) func() error {
	return func() error {
		conn, err := net.DialTimeout("tcp4", address, time.Second)
		if err != nil {
			return err
		}
		return conn.Close()
	}
}

// HTTPOKCheck succeeds once url answers 200.
func HTTPOKCheck(url string) func() error {
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
