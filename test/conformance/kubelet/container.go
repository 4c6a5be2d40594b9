package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// container is the runtime state of one container of a Pod. The kubelet's mutex
// guards every field.
type container struct {
	name  string
	image string
	// binary is the local program the image is mapped to; empty when none is.
	binary string

	instance     *instance // the running process, nil when none
	restartCount int32
	lastState    corev1.ContainerState
	// waiting explains why no process runs (set when instance is nil).
	waiting *corev1.ContainerStateWaiting
	// notBefore is the end of the crash back-off.
	notBefore time.Time
}

// instance is one run of a container's process.
type instance struct {
	cmd       *exec.Cmd
	startedAt metav1.Time
	logPath   string
	sink      *logSink
	// done is closed when the process has exited and its output is logged.
	done     chan struct{}
	exitCode int
	signal   string
	// stopping is set when the kubelet stopped it (deletion), so its exit is
	// not a crash.
	stopping bool
}

// crashBackOff is how long a crashed container waits before its next start:
// 1s doubling to 30s (shorter than a real kubelet's 10s to 5m: tests are short).
func crashBackOff(restarts int32) time.Duration {
	d := time.Second
	for i := int32(0); i < restarts && d < 30*time.Second; i++ {
		d *= 2
	}
	return min(d, 30*time.Second)
}

// startInstance runs the container's binary inside the sandbox's namespaces, with
// its args (commands are not supported: a mapped binary is the image's entry
// point), env and a log file of its own.
func startInstance(c *container, spec *corev1.Container, sb *sandbox, dir string, env []string) (*instance, error) {
	logDir := filepath.Join(dir, "logs", c.name)
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return nil, err
	}
	logPath := filepath.Join(logDir, fmt.Sprintf("%d.log", c.restartCount))
	sink, err := newLogSink(logPath)
	if err != nil {
		return nil, err
	}
	workDir := spec.WorkingDir
	if workDir == "" {
		workDir = "/"
	}
	args := []string{"--target", fmt.Sprint(sb.pid()), "--net", "--mount", "--uts", "--wd=" + workDir, "--", c.binary}
	args = append(args, spec.Args...)
	cmd := exec.Command("nsenter", args...)
	cmd.Env = env
	// nsenter execs the binary, so the process keeps this death signal.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		_ = sink.Close()
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		_ = sink.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		_ = sink.Close()
		return nil, fmt.Errorf("starting %s: %w", c.binary, err)
	}
	in := &instance{cmd: cmd, startedAt: metav1.NewTime(time.Now()), logPath: logPath, sink: sink, done: make(chan struct{})}
	copied := make(chan struct{}, 2)
	go func() { sink.copyFrom("stdout", stdout); copied <- struct{}{} }()
	go func() { sink.copyFrom("stderr", stderr); copied <- struct{}{} }()
	go func() {
		<-copied
		<-copied
		err := cmd.Wait()
		in.exitCode = cmd.ProcessState.ExitCode()
		if status, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && status.Signaled() {
			in.exitCode = 128 + int(status.Signal())
			in.signal = status.Signal().String()
		}
		if err != nil && in.exitCode == 0 {
			in.exitCode = 1
		}
		_ = sink.Close()
		close(in.done)
	}()
	return in, nil
}

// stop asks the process to end (SIGTERM), and kills it after grace.
func (in *instance) stop(grace time.Duration) {
	in.stopping = true
	_ = syscall.Kill(-in.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-in.done:
	case <-time.After(grace):
		_ = syscall.Kill(-in.cmd.Process.Pid, syscall.SIGKILL)
		<-in.done
	}
}

// terminated describes the instance after it exited.
func (in *instance) terminated() *corev1.ContainerStateTerminated {
	reason := "Completed"
	if in.exitCode != 0 {
		reason = "Error"
	}
	message := ""
	if in.signal != "" {
		message = "Killed by " + strings.ToLower(in.signal) + "."
	}
	return &corev1.ContainerStateTerminated{
		ExitCode: int32(in.exitCode), Reason: reason, Message: message,
		StartedAt: in.startedAt, FinishedAt: metav1.NewTime(time.Now()),
		ContainerID: containerID(in),
	}
}

func containerID(in *instance) string {
	return fmt.Sprintf("process://%d", in.cmd.Process.Pid)
}

// imageName strips the tag or digest: registry.k8s.io/x/echo-basic:v1 ->
// registry.k8s.io/x/echo-basic.
func imageName(image string) string {
	if at := strings.IndexByte(image, '@'); at >= 0 {
		image = image[:at]
	}
	if colon := strings.LastIndexByte(image, ':'); colon > strings.LastIndexByte(image, '/') {
		image = image[:colon]
	}
	return image
}
