package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// The components, each started once the one before is ready.

func (c *cluster) startEtcd(ctx context.Context) error {
	etcd, err := c.start("etcd", nil, filepath.Join(c.kubeBin, "etcd"),
		"--name", "conformance", "--data-dir", filepath.Join(c.work, "etcd"),
		"--listen-client-urls", "http://127.0.0.1:2379", "--advertise-client-urls", "http://127.0.0.1:2379",
		"--listen-peer-urls", "http://127.0.0.1:2380", "--initial-advertise-peer-urls", "http://127.0.0.1:2380",
		"--initial-cluster", "conformance=http://127.0.0.1:2380",
		// A throw-away cluster: durability is not worth the disk flushes.
		"--unsafe-no-fsync", "--log-level", "warn")
	if err != nil {
		return err
	}
	if err := etcd.waitFor(ctx, "health", time.Minute, httpCheck(insecureClient(), "http://127.0.0.1:2379/health")); err != nil {
		return err
	}
	c.step("etcd ready")
	return nil
}

func (c *cluster) startAPIServer(ctx context.Context) error {
	p := c.pki.path
	apiserver, err := c.start("kube-apiserver", nil, filepath.Join(c.kubeBin, "kube-apiserver"),
		"--etcd-servers", "http://127.0.0.1:2379",
		"--bind-address", "0.0.0.0", "--secure-port", "6443", "--advertise-address", c.nodeIP.String(),
		"--tls-cert-file", p("apiserver.crt"), "--tls-private-key-file", p("apiserver.key"),
		"--client-ca-file", p("ca.crt"),
		"--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file", p("sa.key"), "--service-account-signing-key-file", p("sa.key"),
		"--service-cluster-ip-range", "10.96.0.0/16",
		"--authorization-mode", "RBAC",
		// The process kubelet projects no service-account tokens into Pods.
		"--disable-admission-plugins", "ServiceAccount",
		"--kubelet-preferred-address-types", "InternalIP",
		"--profiling=false")
	if err != nil {
		return err
	}
	cert, err := tls.LoadX509KeyPair(p("admin.crt"), p("admin.key"))
	if err != nil {
		return err
	}
	if err := apiserver.waitFor(ctx, "readiness", 2*time.Minute, httpCheck(insecureClient(cert), "https://127.0.0.1:6443/readyz")); err != nil {
		return err
	}
	c.step("kube-apiserver ready")
	return nil
}

func (c *cluster) startControllerManager(ctx context.Context) error {
	controllers := []string{
		"deployment-controller", "replicaset-controller", "endpointslice-controller",
		"endpointslice-mirroring-controller", "namespace-controller", "garbage-collector-controller",
		"serviceaccount-controller", "root-ca-certificate-publisher-controller",
	}
	kcm, err := c.start("kube-controller-manager", nil, filepath.Join(c.kubeBin, "kube-controller-manager"),
		"--kubeconfig", c.admin, "--controllers", strings.Join(controllers, ","),
		"--root-ca-file", c.pki.path("ca.crt"),
		"--leader-elect=false", "--bind-address", "127.0.0.1", "--secure-port", "10257")
	if err != nil {
		return err
	}
	if err := kcm.waitFor(ctx, "health", time.Minute, httpCheck(insecureClient(), "https://127.0.0.1:10257/healthz")); err != nil {
		return err
	}
	c.step("kube-controller-manager ready (%s)", strings.Join(controllers, ", "))
	return nil
}

func (c *cluster) startKubelet(ctx context.Context) error {
	kubelet, err := c.start("kubelet", nil, filepath.Join(c.bin, "kubelet"),
		"-kubeconfig", c.admin, "-node-ip", c.nodeIP.String(), "-pod-cidr", c.podCIDR.String(),
		"-outside-netns", c.outsideNetns,
		"-root-dir", filepath.Join(c.work, "kubelet"),
		"-image", "registry.k8s.io/gateway-api/echo-basic="+filepath.Join(c.bin, "echo-basic"),
		"-image", "registry.k8s.io/coredns/coredns="+filepath.Join(c.bin, "dnsstandin"))
	if err != nil {
		return err
	}
	if err := kubelet.waitFor(ctx, "a Ready Node", time.Minute, func(ctx context.Context) error {
		return c.kubectl(ctx, nil, "wait", "node/conformance-node", "--for=condition=Ready", "--timeout=1s")
	}); err != nil {
		return err
	}
	c.step("process kubelet ready: Node conformance-node")
	return nil
}

// install applies the Gateway API CRDs (with their bundle-version annotations,
// as the suite requires), Turnpike's CRDs and RBAC, and the GatewayClass.
func (c *cluster) install(ctx context.Context) error {
	steps := [][]string{
		{"apply", "--server-side", "-k", filepath.Join(c.repo, "config/crd")},
		{"wait", "--for=condition=Established", "crd", "--all", "--timeout=60s"},
		{"create", "namespace", "turnpike-system"},
		{"apply", "--server-side", "-k", filepath.Join(c.repo, "config/rbac")},
		{"apply", "--server-side", "-f", "-"},
	}
	for _, args := range steps {
		var stdin io.Reader
		if args[len(args)-1] == "-" {
			stdin = strings.NewReader(gatewayClass)
		}
		if err := c.kubectl(ctx, stdin, args...); err != nil {
			return err
		}
	}
	c.step("Gateway API and Turnpike CRDs, Turnpike RBAC and GatewayClass turnpike installed")
	return nil
}

const gatewayClass = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: turnpike
spec:
  controllerName: turnpike.dev/gateway-controller
`

// startTurnpike runs `turnpike serve` with the permissions of its ServiceAccount
// (a token from the TokenRequest API), so the run also proves the RBAC is enough.
func (c *cluster) startTurnpike(ctx context.Context) error {
	token, err := c.kubectlOutput(ctx, "create", "token", "turnpike", "-n", "turnpike-system", "--duration=24h")
	if err != nil {
		return err
	}
	kubeconfig := filepath.Join(c.work, "turnpike.kubeconfig")
	if err := c.pki.writeKubeconfig(kubeconfig, "https://127.0.0.1:6443", strings.TrimSpace(token)); err != nil {
		return err
	}
	turnpike, err := c.start("turnpike", nil, filepath.Join(c.bin, "turnpike"), "serve",
		"--kubeconfig", kubeconfig, "--gateway-address-pool", c.pool.String(),
		"--leader-election-namespace", "turnpike-system", "--admin-address", "127.0.0.1:9901",
		"--drain-timeout", "5s", "--shutdown-grace-period", "15s")
	if err != nil {
		return err
	}
	if err := turnpike.waitFor(ctx, "readiness", time.Minute, httpCheck(insecureClient(), "http://127.0.0.1:9901/readyz")); err != nil {
		return err
	}
	if err := c.kubectl(ctx, nil, "wait", "gatewayclass/turnpike", "--for=condition=Accepted", "--timeout=60s"); err != nil {
		return err
	}
	c.step("turnpike ready; GatewayClass turnpike Accepted")
	return nil
}

func (c *cluster) kubectl(ctx context.Context, stdin io.Reader, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(c.kubeBin, "kubectl"), append([]string{"--kubeconfig", c.admin}, args...)...)
	cmd.Stdin = stdin
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func (c *cluster) kubectlOutput(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(c.kubeBin, "kubectl"), append([]string{"--kubeconfig", c.admin}, args...)...)
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("kubectl %s: %w", strings.Join(args, " "), err)
	}
	return string(out), nil
}
