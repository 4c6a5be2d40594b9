package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"time"

	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/config"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/turnpike-gateway/turnpike/controllers"
	"github.com/turnpike-gateway/turnpike/controllers/compiler"
	dpserver "github.com/turnpike-gateway/turnpike/dataplane/server"
)

// runServe is `turnpike serve`: watch the API server, serve the Gateways of our
// GatewayClasses, and (when elected) write status.
func runServe(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		common          commonFlags
		kubeconfig      string
		controllerName  string
		leaderElect     bool
		leaderNamespace string
		leaderID        string
		gracePeriod     time.Duration
		addressPool     string
		gatewayServices gatewayServiceFlags
	)
	common.register(fs, ":9901")
	fs.StringVar(&kubeconfig, "kubeconfig", "", "path to a kubeconfig; in-cluster config or $KUBECONFIG when empty")
	fs.StringVar(&controllerName, "controller-name", string(compiler.ControllerName), "GatewayClass spec.controllerName to serve")
	fs.BoolVar(&leaderElect, "leader-elect", true, "elect one replica to write status (every replica serves traffic)")
	fs.StringVar(&leaderNamespace, "leader-election-namespace", os.Getenv("POD_NAMESPACE"),
		"namespace of the leader-election Lease ($POD_NAMESPACE by default; required out of cluster)")
	fs.StringVar(&leaderID, "leader-election-id", "turnpike.turnpike.dev", "name of the leader-election Lease")
	fs.DurationVar(&gracePeriod, "shutdown-grace-period", 45*time.Second, "how long shutdown may take in all (must exceed --drain-timeout)")
	fs.StringVar(&addressPool, "gateway-address-pool", "",
		"CIDR of host-local addresses: each Gateway gets one of its own (or binds its spec.addresses IP) and listens on its listeners' real ports")
	gatewayServices.register(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if err := common.validate(); err != nil {
		fmt.Fprintln(stderr, "turnpike serve:", err)
		return 2
	}
	pool, err := parseAddressPool(addressPool, common.publishList())
	if err != nil {
		fmt.Fprintln(stderr, "turnpike serve:", err)
		return 2
	}
	var otherBindings []string
	if addressPool != "" {
		otherBindings = append(otherBindings, "--gateway-address-pool")
	}
	if len(common.publishList()) > 0 {
		otherBindings = append(otherBindings, "--publish-address")
	}
	serviceOptions, err := gatewayServices.options(common.adminAddress, otherBindings...)
	if err != nil {
		fmt.Fprintln(stderr, "turnpike serve:", err)
		return 2
	}
	log, err := newLogger(common.logLevel, os.Stderr)
	if err != nil {
		fmt.Fprintln(stderr, "turnpike serve:", err)
		return 2
	}
	ctrl.SetLogger(log)
	klog.SetLogger(log.WithName("client-go"))

	if kubeconfig != "" {
		if err := os.Setenv("KUBECONFIG", kubeconfig); err != nil {
			fmt.Fprintln(stderr, "turnpike serve:", err)
			return 2
		}
	}
	restConfig, err := config.GetConfig()
	if err != nil {
		fmt.Fprintln(stderr, "turnpike serve: no Kubernetes API to talk to:", err)
		return 1
	}
	if leaderElect && leaderNamespace == "" {
		fmt.Fprintln(stderr, "turnpike serve: --leader-election-namespace is required with --leader-elect when $POD_NAMESPACE is not set")
		return 2
	}
	mgr, err := ctrl.NewManager(restConfig, ctrl.Options{
		Scheme:                        controllers.NewScheme(),
		Logger:                        log,
		LeaderElection:                leaderElect,
		LeaderElectionID:              leaderID,
		LeaderElectionNamespace:       leaderNamespace,
		LeaderElectionReleaseOnCancel: true,
		// Metrics and probes are served by Turnpike's own admin server.
		Metrics:                 metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress:  "0",
		GracefulShutdownTimeout: &gracePeriod,
	})
	if err != nil {
		fmt.Fprintln(stderr, "turnpike serve: creating the controller manager:", err)
		return 1
	}
	closeAccessLog, err := common.openAccessLog()
	if err != nil {
		fmt.Fprintln(stderr, "turnpike serve:", err)
		return 2
	}
	defer closeAccessLog() // after mgr.Start returns: the data plane has flushed the log
	dataplane := dpserver.New(common.dataplane, log.WithName("dataplane"))
	if err := mgr.Add(dataplane); err != nil {
		fmt.Fprintln(stderr, "turnpike serve:", err)
		return 1
	}
	admin, err := newAdminServer(common.adminAddress, dataplane, log.WithName("admin"))
	if err != nil {
		fmt.Fprintln(stderr, "turnpike serve:", err)
		return 1
	}
	if err := mgr.Add(admin); err != nil {
		fmt.Fprintln(stderr, "turnpike serve:", err)
		return 1
	}
	var binder compiler.Binder = compiler.ListenerPortBinder{PublishAddresses: common.publishList()}
	if serviceOptions != nil {
		binder = nil // per-Gateway Services bind through their own ServiceBinder
	}
	if pool.IsValid() {
		binder, err = compiler.NewPoolBinder(pool, poolGateways(mgr.GetClient(), gwapiv1.GatewayController(controllerName)))
		if err != nil {
			fmt.Fprintln(stderr, "turnpike serve: --gateway-address-pool:", err)
			return 2
		}
	}
	loop, err := controllers.Setup(mgr, controllers.Options{
		Publisher:       dataplane,
		ControllerName:  gwapiv1.GatewayController(controllerName),
		Binder:          binder,
		GatewayServices: serviceOptions,
		Log:             log,
	})
	if err != nil {
		fmt.Fprintln(stderr, "turnpike serve:", err)
		return 1
	}
	// /metrics: the compile loop's metrics, and controller-runtime's (reconciles
	// and their errors per controller, work queues, API client, leader election).
	if err := admin.register(loop.Collectors()...); err != nil {
		fmt.Fprintln(stderr, "turnpike serve:", err)
		return 1
	}
	admin.gather(ctrlmetrics.Registry)
	log.Info("Starting", "version", versionString(), "controllerName", controllerName, "leaderElection", leaderElect,
		"gatewayAddressPool", addressPool, "gatewayServiceMode", gatewayServices.mode)
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		log.Error(err, "Stopped with an error")
		return 1
	}
	return 0
}

// parseAddressPool reads --gateway-address-pool; the zero Prefix when it is empty.
// Published addresses make no sense with a pool: every Gateway publishes its own.
func parseAddressPool(value string, publish []string) (netip.Prefix, error) {
	if value == "" {
		return netip.Prefix{}, nil
	}
	pool, err := netip.ParsePrefix(value)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("--gateway-address-pool must be a CIDR such as 10.250.0.0/16: %w", err)
	}
	if pool != pool.Masked() {
		return netip.Prefix{}, fmt.Errorf("--gateway-address-pool %s has host bits set; did you mean %s?", pool, pool.Masked())
	}
	if len(publish) > 0 {
		return netip.Prefix{}, fmt.Errorf("--publish-address cannot be combined with --gateway-address-pool: each Gateway publishes its own address")
	}
	return pool, nil
}

// poolGateways lists, from the manager's cache, the Gateways that draw from the
// address pool: those of the GatewayClasses with our controller name.
func poolGateways(reader client.Reader, controllerName gwapiv1.GatewayController) func() ([]*gwapiv1.Gateway, error) {
	return func() ([]*gwapiv1.Gateway, error) {
		// Cache reads never block on the network; the compile loop only binds
		// after the caches synced.
		ctx := context.Background()
		var classes gwapiv1.GatewayClassList
		if err := reader.List(ctx, &classes, client.UnsafeDisableDeepCopy); err != nil {
			return nil, fmt.Errorf("listing GatewayClasses: %w", err)
		}
		ours := map[gwapiv1.ObjectName]bool{}
		for i := range classes.Items {
			if classes.Items[i].Spec.ControllerName == controllerName {
				ours[gwapiv1.ObjectName(classes.Items[i].Name)] = true
			}
		}
		var gateways gwapiv1.GatewayList
		if err := reader.List(ctx, &gateways, client.UnsafeDisableDeepCopy); err != nil {
			return nil, fmt.Errorf("listing Gateways: %w", err)
		}
		var out []*gwapiv1.Gateway
		for i := range gateways.Items {
			if ours[gateways.Items[i].Spec.GatewayClassName] {
				out = append(out, &gateways.Items[i])
			}
		}
		return out, nil
	}
}
