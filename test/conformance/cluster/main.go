// Command cluster brings up the conformance harness's local Kubernetes cluster
// inside the network namespace it is started in (hack/conformance.sh starts it
// under `unshare --net`), runs a command against it (the conformance suite), and
// tears everything down, even when the command fails or the run is interrupted.
// It is test infrastructure, outside Turnpike's pipeline: it starts etcd,
// kube-apiserver, kube-controller-manager, the process kubelet and `turnpike
// serve` with an address pool, installs the Gateway API CRDs, Turnpike's CRDs and
// RBAC and the GatewayClass, and exits with the command's exit code.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// settings are the flags.
type settings struct {
	repo, kubeBin, bin, work, logs string
	outsideNetns                   string
	nodeIP                         netip.Addr
	pool, podCIDR                  netip.Prefix
	command                        []string
}

func main() {
	code, err := run()
	if err != nil {
		fmt.Fprintln(os.Stderr, "conformance cluster:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

func parseSettings() (settings, error) {
	var s settings
	var nodeIP, pool, podCIDR string
	flag.StringVar(&s.repo, "repo", ".", "root of the Turnpike repository (config/ is read from it)")
	flag.StringVar(&s.kubeBin, "kube-bin", "", "directory of etcd, kube-apiserver, kube-controller-manager and kubectl")
	flag.StringVar(&s.bin, "bin", "", "directory of turnpike, kubelet, echo-basic and dnsstandin")
	flag.StringVar(&s.work, "work", "", "scratch directory (emptied first): data, certificates, Pod directories")
	flag.StringVar(&s.logs, "logs", "", "directory for one log per component")
	flag.StringVar(&s.outsideNetns, "outside-netns", "", "the network namespace the harness was started from (readlink /proc/self/ns/net there); this one must differ")
	flag.StringVar(&nodeIP, "node-ip", "10.243.0.1", "the Node's address (API server advertise address, kubelet, host side of Pods)")
	flag.StringVar(&pool, "gateway-address-pool", "10.250.0.0/16", "addresses Turnpike gives Gateways")
	flag.StringVar(&podCIDR, "pod-cidr", "10.244.0.0/16", "addresses of Pods")
	flag.Parse()
	s.command = flag.Args()
	if s.kubeBin == "" || s.bin == "" || s.work == "" || s.logs == "" || len(s.command) == 0 {
		return s, errors.New("usage: cluster -kube-bin DIR -bin DIR -work DIR -logs DIR [flags] -- COMMAND [ARGS...]")
	}
	var err error
	if s.nodeIP, err = netip.ParseAddr(nodeIP); err != nil {
		return s, err
	}
	if s.pool, err = netip.ParsePrefix(pool); err != nil {
		return s, err
	}
	if s.podCIDR, err = netip.ParsePrefix(podCIDR); err != nil {
		return s, err
	}
	for _, dir := range []*string{&s.repo, &s.kubeBin, &s.bin, &s.work, &s.logs} {
		if *dir, err = filepath.Abs(*dir); err != nil {
			return s, err
		}
	}
	return s, nil
}

func run() (int, error) {
	s, err := parseSettings()
	if err != nil {
		return 2, err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	// First of all, so that nothing is touched outside the harness's namespace.
	if err := setUpNetwork(s.outsideNetns, s.nodeIP, s.pool); err != nil {
		return 1, err
	}
	if err := os.RemoveAll(s.work); err != nil {
		return 1, err
	}
	for _, dir := range []string{s.work, s.logs} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return 1, err
		}
	}
	c := &cluster{settings: s, started: time.Now()}
	defer c.teardown()
	if err := c.up(ctx); err != nil {
		return 1, err
	}
	return c.runCommand(ctx)
}

// cluster is the running cluster, components in start order.
type cluster struct {
	settings
	started    time.Time
	pki        *pki
	components []*component
	admin      string // the admin kubeconfig
}

func (c *cluster) step(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "conformance cluster: [%5.1fs] %s\n", time.Since(c.started).Seconds(), fmt.Sprintf(format, args...))
}

func (c *cluster) start(name string, env []string, binary string, args ...string) (*component, error) {
	comp, err := start(name, c.logs, env, binary, args...)
	if err != nil {
		return nil, err
	}
	c.components = append(c.components, comp)
	return comp, nil
}

// up starts every component in order, each once the previous is ready.
func (c *cluster) up(ctx context.Context) error {
	c.step("network namespace ready: node %s, Gateway pool %s (local), Pods %s", c.nodeIP, c.pool, c.podCIDR)
	var err error
	apiIPs := []net.IP{net.ParseIP("127.0.0.1"), c.nodeIP.AsSlice(), net.ParseIP("10.96.0.1")}
	if c.pki, err = newPKI(filepath.Join(c.work, "pki"), apiIPs); err != nil {
		return err
	}
	c.admin = filepath.Join(c.work, "admin.kubeconfig")
	if err := c.pki.writeKubeconfig(c.admin, "https://127.0.0.1:6443", ""); err != nil {
		return err
	}
	for _, up := range []func(context.Context) error{c.startEtcd, c.startAPIServer, c.startControllerManager, c.startKubelet, c.install, c.startTurnpike} {
		if err := up(ctx); err != nil {
			return err
		}
	}
	return nil
}

// runCommand runs the command with KUBECONFIG set to the admin kubeconfig, its
// output shown and kept in suite.log. A component that exits meanwhile ends it:
// its results would mean nothing.
func (c *cluster) runCommand(ctx context.Context) (int, error) {
	c.step("running %s", strings.Join(c.command, " "))
	logFile, err := os.Create(filepath.Join(c.logs, "suite.log"))
	if err != nil {
		return 1, err
	}
	defer logFile.Close()
	cmd := exec.Command(c.command[0], c.command[1:]...)
	cmd.Stdout = io.MultiWriter(os.Stdout, logFile)
	cmd.Stderr = io.MultiWriter(os.Stderr, logFile)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+c.admin)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return 1, err
	}
	finished := make(chan error, 1)
	go func() { finished <- cmd.Wait() }()
	died := make(chan *component, len(c.components))
	for _, comp := range c.components {
		go func() {
			<-comp.done
			died <- comp
		}()
	}
	interrupt := func(why string) {
		c.step("%s: stopping the command", why)
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-finished:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-finished
		}
	}
	select {
	case err := <-finished:
		c.step("command finished: %v", exitDescription(err))
		if exit, ok := err.(*exec.ExitError); ok {
			return exit.ExitCode(), nil
		}
		return 0, err
	case comp := <-died:
		interrupt(fmt.Sprintf("%s exited (%v); see %s", comp.name, comp.err, filepath.Join(c.logs, comp.name+".log")))
		return 1, fmt.Errorf("%s exited during the run", comp.name)
	case <-ctx.Done():
		interrupt("interrupted")
		return 130, errors.New("interrupted")
	}
}

func exitDescription(err error) string {
	if err == nil {
		return "success"
	}
	return err.Error()
}

// teardown stops the components in reverse order: Turnpike first, then the
// kubelet (which stops every Pod), then the control plane.
func (c *cluster) teardown() {
	for i := len(c.components) - 1; i >= 0; i-- {
		comp := c.components[i]
		grace := 15 * time.Second
		if comp.name == "turnpike" {
			grace = 20 * time.Second
		}
		comp.stop(grace)
	}
	c.step("cluster torn down; logs in %s", c.logs)
}
