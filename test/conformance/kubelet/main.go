package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/workqueue"
)

func main() {
	if len(os.Args) == 3 && os.Args[1] == "sandbox" {
		if err := runSandbox(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, "sandbox:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "kubelet:", err)
		os.Exit(1)
	}
}

// imageFlag collects -image NAME=PATH mappings.
type imageFlag map[string]string

func (f imageFlag) String() string { return fmt.Sprint(map[string]string(f)) }

func (f imageFlag) Set(value string) error {
	name, path, ok := strings.Cut(value, "=")
	if !ok || name == "" || path == "" {
		return errors.New("want IMAGE=PATH, such as registry.k8s.io/gateway-api/echo-basic=bin/echo-basic")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	f[imageName(name)] = abs
	return nil
}

func run() error {
	images := imageFlag{}
	var (
		kubeconfig = flag.String("kubeconfig", "", "kubeconfig of the API server")
		nodeName   = flag.String("node-name", "conformance-node", "name of the Node to register")
		nodeIP     = flag.String("node-ip", "", "the Node's InternalIP: the host side of Pod networking and the log server's address (not loopback)")
		podCIDR    = flag.String("pod-cidr", "10.244.0.0/16", "IPv4 network Pod IPs come from")
		rootDir    = flag.String("root-dir", "", "directory for per-Pod state: volumes, logs, overlays")
		outside    = flag.String("outside-netns", "", "a network namespace this one must differ from (readlink /proc/self/ns/net there): the host's")
	)
	flag.Var(images, "image", "IMAGE=PATH: run PATH for containers of IMAGE (any tag); repeatable")
	flag.Parse()
	if *kubeconfig == "" || *nodeIP == "" || *rootDir == "" || *outside == "" {
		return errors.New("-kubeconfig, -node-ip, -root-dir and -outside-netns are required")
	}
	if err := ownNetworkNamespace(*outside); err != nil {
		return err
	}
	ip, err := netip.ParseAddr(*nodeIP)
	if err != nil || !ip.Is4() || ip.IsLoopback() {
		return fmt.Errorf("-node-ip %q must be a non-loopback IPv4 address", *nodeIP)
	}
	prefix, err := netip.ParsePrefix(*podCIDR)
	if err != nil {
		return fmt.Errorf("-pod-cidr: %w", err)
	}
	pool, err := newIPAM(prefix)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	config, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		return fmt.Errorf("reading %s: %w", *kubeconfig, err)
	}
	config.QPS, config.Burst = 50, 100
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	factory := informers.NewSharedInformerFactory(client, 0)
	podInformer := factory.Core().V1().Pods()
	k := &kubelet{
		client: client, nodeName: *nodeName, nodeIP: ip, rootDir: *rootDir, self: self,
		images: images, ipam: pool, pods: podInformer.Lister(), log: log,
		queue:   workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]()),
		running: map[string]*podRuntime{},
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := k.registerNode(ctx); err != nil {
		return err
	}
	if _, err := podInformer.Informer().AddEventHandler(k.eventHandler()); err != nil {
		return err
	}
	server, err := k.logServer()
	if err != nil {
		return err
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- server.ListenAndServeTLS("", "") }()
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), podInformer.Informer().HasSynced) {
		return errors.New("the Pod informer did not sync")
	}
	go k.heartbeatLoop(ctx)
	go k.worker(ctx)
	log.Info("Process kubelet ready", "node", *nodeName, "nodeIP", ip, "podCIDR", prefix, "images", images.String())
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		log.Error("The log server stopped", "error", err)
	}
	log.Info("Shutting down: stopping every Pod")
	k.queue.ShutDown()
	k.stopAll()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = server.Shutdown(shutdownCtx)
	factory.Shutdown()
	if ctx.Err() == nil {
		return errors.New("the log server stopped")
	}
	return nil
}

// ownNetworkNamespace refuses to run in the host's network namespace (outside, or
// PID 1's when it can be read): the kubelet adds links and routes, which belong in
// the harness's namespace only.
func ownNetworkNamespace(outside string) error {
	self, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		return err
	}
	initial, _ := os.Readlink("/proc/1/ns/net")
	if self == outside || self == initial {
		return errors.New("refusing to run in the host's network namespace; run inside the harness's (hack/conformance.sh does)")
	}
	return nil
}
