package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// A Pod's sandbox is a holder process (this binary, run as `kubelet sandbox`) in
// new network, mount and UTS namespaces, like a real kubelet's pause container:
// the Pod's processes join its namespaces, so a restarted process keeps the Pod's
// IP and mounts, and the namespaces (and the veth pair with them) disappear when
// the holder exits.

// sandboxConfig is what the holder sets up before it reports ready.
type sandboxConfig struct {
	Hostname string
	Mounts   []mount
	// OverlayDir holds the upper and work directories of the overlays that make
	// missing mount points (say /etc/secret-volume) without touching the host.
	OverlayDir string
}

// sandbox is a running holder.
type sandbox struct {
	cmd  *exec.Cmd
	veth string
	done chan struct{}
}

// startSandbox starts the holder and waits until its namespaces are ready.
func startSandbox(self string, cfg sandboxConfig, logPath string) (*sandbox, error) {
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(self, "sandbox", string(raw))
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWNET | syscall.CLONE_NEWNS | syscall.CLONE_NEWUTS,
		// The Pod must not outlive the kubelet, even when it is killed.
		Pdeathsig: syscall.SIGKILL,
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the sandbox: %w", err)
	}
	s := &sandbox{cmd: cmd, done: make(chan struct{})}
	ready := make(chan error, 1)
	go func() {
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err == nil && strings.TrimSpace(line) != "ready" {
			err = fmt.Errorf("unexpected %q", line)
		}
		ready <- err
	}()
	go func() {
		_ = cmd.Wait()
		close(s.done)
	}()
	select {
	case err = <-ready:
	case <-time.After(10 * time.Second):
		err = errors.New("no answer in 10s")
	}
	if err != nil {
		s.stop()
		return nil, fmt.Errorf("the sandbox did not start (see %s): %w", logPath, err)
	}
	return s, nil
}

func (s *sandbox) pid() int { return s.cmd.Process.Pid }

// stop ends the holder; its namespaces, mounts and veth pair go with it.
func (s *sandbox) stop() {
	_ = s.cmd.Process.Kill()
	<-s.done
}

// connect gives the sandbox its network: a veth pair whose host end routes ip,
// and inside, eth0 with ip and a default route to the host (which answers ARP
// for its own address on every interface).
func (s *sandbox) connect(veth string, ip, hostIP netip.Addr) error {
	pid := fmt.Sprint(s.pid())
	inside := func(args ...string) []string {
		return append([]string{"nsenter", "--target", pid, "--net", "--"}, args...)
	}
	steps := [][]string{
		{"ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", pid},
		{"ip", "link", "set", veth, "up"},
		{"ip", "route", "add", ip.String() + "/32", "dev", veth, "src", hostIP.String()},
		inside("ip", "link", "set", "lo", "up"),
		inside("ip", "addr", "add", ip.String()+"/32", "dev", "eth0"),
		inside("ip", "link", "set", "eth0", "up"),
		inside("ip", "route", "add", "default", "dev", "eth0"),
	}
	for _, step := range steps {
		if out, err := exec.Command(step[0], step[1:]...).CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %w: %s", strings.Join(step, " "), err, strings.TrimSpace(string(out)))
		}
	}
	s.veth = veth
	return nil
}

// runSandbox is `kubelet sandbox CONFIG`: the holder. It runs in its new
// namespaces already (the kubelet cloned it so).
func runSandbox(rawConfig string) error {
	var cfg sandboxConfig
	if err := json.Unmarshal([]byte(rawConfig), &cfg); err != nil {
		return fmt.Errorf("reading the sandbox configuration: %w", err)
	}
	if err := syscall.Sethostname([]byte(cfg.Hostname)); err != nil {
		return fmt.Errorf("setting the hostname: %w", err)
	}
	// Nothing mounted here may propagate back to the host.
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making mounts private: %w", err)
	}
	overlaid := map[string]bool{}
	for i, m := range cfg.Mounts {
		if err := ensureMountPoint(m, cfg.OverlayDir, i, overlaid); err != nil {
			return err
		}
		if err := syscall.Mount(m.Source, m.Target, "", syscall.MS_BIND, ""); err != nil {
			return fmt.Errorf("mounting %s at %s: %w", m.Source, m.Target, err)
		}
		if m.ReadOnly {
			if err := syscall.Mount("", m.Target, "", syscall.MS_BIND|syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
				return fmt.Errorf("making %s read-only: %w", m.Target, err)
			}
		}
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	fmt.Println("ready")
	<-stop
	return nil
}

// ensureMountPoint makes m.Target exist inside the sandbox. When it (or a parent)
// is missing on the host, the nearest existing ancestor is covered with an overlay
// whose writable layer lives in the Pod's directory, so the host's tree is never
// changed.
func ensureMountPoint(m mount, overlayDir string, index int, overlaid map[string]bool) error {
	source, err := os.Stat(m.Source)
	if err != nil {
		return fmt.Errorf("mount source %s: %w", m.Source, err)
	}
	if _, err := os.Stat(m.Target); err == nil {
		return nil
	}
	ancestor := filepath.Dir(m.Target)
	for {
		if _, err := os.Stat(ancestor); err == nil {
			break
		}
		ancestor = filepath.Dir(ancestor)
	}
	if ancestor == "/" {
		return fmt.Errorf("mount point %s needs a new top-level directory, which the process kubelet cannot make without changing the host", m.Target)
	}
	if !overlaid[ancestor] {
		upper := filepath.Join(overlayDir, fmt.Sprint(index), "upper")
		work := filepath.Join(overlayDir, fmt.Sprint(index), "work")
		for _, dir := range []string{upper, work} {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
		}
		options := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", ancestor, upper, work)
		if err := syscall.Mount("overlay", ancestor, "overlay", 0, options); err != nil {
			return fmt.Errorf("covering %s with an overlay to create %s: %w", ancestor, m.Target, err)
		}
		overlaid[ancestor] = true
	}
	if !source.IsDir() {
		if err := os.MkdirAll(filepath.Dir(m.Target), 0o755); err != nil {
			return err
		}
		return os.WriteFile(m.Target, nil, 0o644)
	}
	return os.MkdirAll(m.Target, 0o755)
}
