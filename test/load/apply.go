package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/turnpike-gateway/turnpike/controllers"
	"github.com/turnpike-gateway/turnpike/test/internal/harness"
)

const (
	// kubeVersion is the version `make envtest-bins` builds into bin/k8s.
	kubeVersion = "v1.37.2"
	// applyTarget is the bound on the p99 from an HTTPRoute change in the
	// API server to traffic following it.
	applyTarget = time.Second
	// pollInterval is how often the new route's path is tried.
	pollInterval = 2 * time.Millisecond
	// changeTimeout bounds the wait for one change: far beyond the target, only to
	// turn a change that never goes live into an error instead of a hang.
	changeTimeout = 30 * time.Second
	// leaseNamespace holds Turnpike's leader-election Lease.
	leaseNamespace = "turnpike-system"
	// missingService is the backend of every route here: the API server refuses
	// loopback endpoints, and the harness sends packets to loopback only, so the
	// routes' answers come from Turnpike itself: 500 for a backendRef to a missing
	// Service, 404 for a path no route matches. A new route is live when its path
	// turns from 404 to 500.
	missingService = "missing"
)

// applySettings are the knobs of the apply mode.
type applySettings struct {
	routes  int
	changes int
}

// runApplyMode starts a kube-apiserver and etcd (envtest), runs `turnpike serve`
// against them with settings.routes HTTPRoutes in place, then times
// settings.changes new HTTPRoutes from the return of the create call to the first
// answer of the new route, and prints the distribution against the target.
func runApplyMode(ctx context.Context, procs *harness.Processes, workDir string, settings applySettings, stdout, stderr io.Writer) (err error) {
	machine := machineDetails()
	root, err := harness.ModuleRoot(ctx)
	if err != nil {
		return err
	}
	assets, err := kubeAssets(root)
	if err != nil {
		return err
	}
	fmt.Fprintln(stderr, "load: building cmd/turnpike from", root)
	turnpike, err := harness.BuildTurnpike(ctx, root, workDir)
	if err != nil {
		return err
	}
	crds := []string{filepath.Join(root, "config", "crd", "gateway-api")}
	if bases := filepath.Join(root, "config", "crd", "bases"); fileExists(bases) {
		crds = append(crds, bases) // Turnpike's own policies, once they have landed
	}
	fmt.Fprintln(stderr, "load: starting kube-apiserver and etcd from", assets)
	env := &envtest.Environment{BinaryAssetsDirectory: assets, CRDDirectoryPaths: crds, ErrorIfCRDPathMissing: true}
	cfg, err := env.Start()
	if err != nil {
		return fmt.Errorf("starting kube-apiserver and etcd: %w", err)
	}
	defer func() {
		if stopErr := env.Stop(); stopErr != nil {
			err = errors.Join(err, fmt.Errorf("stopping kube-apiserver and etcd: %w", stopErr))
		}
	}()
	// The harness's own client creates a thousand objects up front; client-go's
	// default of 5 requests/s would make that the longest part of the run.
	cfg.QPS, cfg.Burst = 500, 1000
	k8s, err := client.New(cfg, client.Options{Scheme: controllers.NewScheme()})
	if err != nil {
		return err
	}
	kubeconfig, err := writeAdminKubeconfig(env, workDir)
	if err != nil {
		return err
	}

	ports, err := harness.FreePorts(2)
	if err != nil {
		return err
	}
	gatewayAddress, admin := harness.Loopback(ports[0]), harness.Loopback(ports[1])
	if err := createGateway(ctx, k8s, ports[0]); err != nil {
		return err
	}
	process, err := procs.Start("turnpike serve", turnpike, "serve", "--kubeconfig", kubeconfig,
		"--leader-election-namespace", leaseNamespace, "--admin-address", admin, "--log-level", "error")
	if err != nil {
		return err
	}
	// Deferred after env.Stop, so it runs first: Turnpike stops while the API
	// server it talks to is still up.
	defer procs.Stop(process)
	fmt.Fprintf(stderr, "load: creating %d HTTPRoutes\n", settings.routes)
	createdAt := time.Now()
	if err := createRoutes(ctx, k8s, settings.routes); err != nil {
		return err
	}
	readyz := "http://" + admin + "/readyz"
	if err := harness.WaitFor(ctx, process, 2*startupTimeout, readyz, harness.HTTPOKCheck(readyz)); err != nil {
		return err
	}
	probe := newRouteProbe(gatewayAddress)
	lastPath := baseRoutePath(settings.routes - 1)
	if err := harness.WaitFor(ctx, process, 2*startupTimeout, "the last of the routes in place", probe.expect(lastPath, http.StatusInternalServerError)); err != nil {
		return err
	}
	inPlaceAfter := time.Since(createdAt)

	fmt.Fprintf(stderr, "load: timing %d new HTTPRoutes\n", settings.changes)
	var toTraffic, createCall []time.Duration
	for i := range settings.changes {
		path := fmt.Sprintf("/new/%d", i)
		if err := probe.expect(path, http.StatusNotFound)(); err != nil {
			return fmt.Errorf("before creating its route: %w", err)
		}
		route := httpRoute(fmt.Sprintf("new-%d", i), path)
		callStart := time.Now()
		if err := k8s.Create(ctx, route); err != nil {
			return fmt.Errorf("creating HTTPRoute %s: %w", route.Name, err)
		}
		created := time.Now()
		if err := probe.waitFor(ctx, process, path, http.StatusInternalServerError, changeTimeout); err != nil {
			return fmt.Errorf("HTTPRoute %s: %w", route.Name, err)
		}
		toTraffic = append(toTraffic, time.Since(created))
		createCall = append(createCall, created.Sub(callStart))
	}
	printApplyReport(stdout, machine, settings, inPlaceAfter, toTraffic, createCall)
	if output := strings.TrimSpace(process.Output.String()); output != "" {
		fmt.Fprintf(stdout, "\nturnpike serve wrote, at log level error:\n%s\n", output)
	}
	return nil
}

// kubeAssets is where kube-apiserver and etcd are: $KUBEBUILDER_ASSETS, else what
// `make envtest-bins` built.
func kubeAssets(root string) (string, error) {
	dir := os.Getenv("KUBEBUILDER_ASSETS")
	if dir == "" {
		dir = filepath.Join(root, "bin", "k8s", kubeVersion)
	}
	if !fileExists(filepath.Join(dir, "kube-apiserver")) || !fileExists(filepath.Join(dir, "etcd")) {
		return "", fmt.Errorf("no kube-apiserver and etcd in %s: run `make envtest-bins` first", dir)
	}
	return dir, nil
}

// writeAdminKubeconfig gives Turnpike a kubeconfig of its own. It runs as an
// administrator: what is measured is the path from the API server to traffic,
// while the permissions of the generated RBAC are the e2e test's subject.
func writeAdminKubeconfig(env *envtest.Environment, dir string) (string, error) {
	user, err := env.ControlPlane.AddUser(envtest.User{Name: "turnpike-load", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return "", fmt.Errorf("adding a user to the API server: %w", err)
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(path, kubeconfig, 0o600); err != nil {
		return "", fmt.Errorf("writing the kubeconfig: %w", err)
	}
	return path, nil
}

// createGateway creates the lease namespace, the GatewayClass and a Gateway with
// one HTTP listener on 127.0.0.1:port.
func createGateway(ctx context.Context, k8s client.Client, port int) error {
	objects := []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: leaseNamespace}},
		&gwapiv1.GatewayClass{
			ObjectMeta: metav1.ObjectMeta{Name: "turnpike"},
			Spec:       gwapiv1.GatewayClassSpec{ControllerName: "turnpike.dev/gateway-controller"},
		},
		&gwapiv1.Gateway{
			ObjectMeta: metav1.ObjectMeta{Namespace: configNamespace, Name: gatewayName},
			Spec: gwapiv1.GatewaySpec{
				GatewayClassName: "turnpike",
				Addresses:        []gwapiv1.GatewaySpecAddress{{Type: ptr.To(gwapiv1.IPAddressType), Value: "127.0.0.1"}},
				Listeners:        []gwapiv1.Listener{{Name: "http", Port: gwapiv1.PortNumber(port), Protocol: gwapiv1.HTTPProtocolType}},
			},
		},
	}
	for _, obj := range objects {
		if err := k8s.Create(ctx, obj); err != nil {
			return fmt.Errorf("creating %T %s: %w", obj, obj.GetName(), err)
		}
	}
	return nil
}

func baseRoutePath(i int) string { return fmt.Sprintf("/r/%d", i) }

// httpRoute is a route of path prefix path to the missing Service.
func httpRoute(name, path string) *gwapiv1.HTTPRoute {
	return &gwapiv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{Namespace: configNamespace, Name: name},
		Spec: gwapiv1.HTTPRouteSpec{
			CommonRouteSpec: gwapiv1.CommonRouteSpec{ParentRefs: []gwapiv1.ParentReference{{Name: gatewayName}}},
			Rules: []gwapiv1.HTTPRouteRule{{
				Matches: []gwapiv1.HTTPRouteMatch{{Path: &gwapiv1.HTTPPathMatch{
					Type: ptr.To(gwapiv1.PathMatchPathPrefix), Value: ptr.To(path)}}},
				BackendRefs: []gwapiv1.HTTPBackendRef{{BackendRef: gwapiv1.BackendRef{
					BackendObjectReference: gwapiv1.BackendObjectReference{
						Name: missingService, Port: ptr.To[gwapiv1.PortNumber](80)},
				}}},
			}},
		},
	}
}

// createRoutes creates n routes, a few at a time.
func createRoutes(ctx context.Context, k8s client.Client, n int) error {
	const workers = 16
	indexes := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range indexes {
				if err := k8s.Create(ctx, httpRoute(fmt.Sprintf("route-%d", i), baseRoutePath(i))); err != nil {
					errs <- fmt.Errorf("creating HTTPRoute route-%d: %w", i, err)
					return
				}
			}
		})
	}
	var failed error
feed:
	for i := range n {
		select {
		case indexes <- i:
		case failed = <-errs:
			break feed
		}
	}
	close(indexes)
	wg.Wait()
	close(errs)
	for err := range errs {
		failed = errors.Join(failed, err)
	}
	return failed
}

// routeProbe sends GETs to the Gateway over one keep-alive connection.
type routeProbe struct {
	client *http.Client
	base   string
}

func newRouteProbe(address string) *routeProbe {
	return &routeProbe{client: &http.Client{Timeout: 2 * time.Second}, base: "http://" + address}
}

// expect is a check that path answers want.
func (p *routeProbe) expect(path string, want int) func() error {
	return func() error {
		response, err := p.client.Get(p.base + path)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, response.Body)
		response.Body.Close()
		if response.StatusCode != want {
			return fmt.Errorf("GET %s answered %s, want %d", path, response.Status, want)
		}
		return nil
	}
}

// waitFor polls path every pollInterval until it answers want.
func (p *routeProbe) waitFor(ctx context.Context, process *harness.Process, path string, want int, timeout time.Duration) error {
	check := p.expect(path, want)
	deadline := time.Now().Add(timeout)
	for {
		lastErr := check()
		if lastErr == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("traffic did not follow within %s: %w", timeout, lastErr)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-process.Exited:
			return process.ExitError()
		case <-time.After(pollInterval):
		}
	}
}

// percentile is the nearest-rank percentile q (0 < q <= 1) of samples.
func percentile(samples []time.Duration, q float64) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	sorted := slices.Clone(samples)
	slices.Sort(sorted)
	// The epsilon keeps q*n that is a whole number in exact arithmetic (0.99*100)
	// from rounding up to the next rank.
	rank := int(math.Ceil(q*float64(len(sorted)) - 1e-9))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// printApplyReport prints the distribution of change-to-traffic times.
func printApplyReport(w io.Writer, machine string, settings applySettings, inPlaceAfter time.Duration, toTraffic, createCall []time.Duration) {
	fmt.Fprintf(w, "turnpike load, apply: `turnpike serve` against a real kube-apiserver and etcd (envtest %s), %s HTTPRoutes in place\n",
		kubeVersion, thousands(settings.routes))
	fmt.Fprintf(w, "machine: %s\n", machine)
	fmt.Fprintf(w, "%s HTTPRoutes created and serving %s after the first create call\n", thousands(settings.routes), inPlaceAfter.Round(time.Millisecond))
	fmt.Fprintf(w, "then %d times: create an HTTPRoute with a new path (backend: a missing Service), poll the path every %s\n",
		settings.changes, pollInterval)
	fmt.Fprintln(w, "until it answers 500 instead of 404; time from the create call's return to that first 500:")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  change -> traffic: p50 %s  p90 %s  p99 %s  max %s  (n=%d)\n", millis(percentile(toTraffic, 0.50)),
		millis(percentile(toTraffic, 0.90)), millis(percentile(toTraffic, 0.99)), millis(percentile(toTraffic, 1)), len(toTraffic))
	fmt.Fprintf(w, "  the create call itself: p50 %s  p99 %s\n", millis(percentile(createCall, 0.50)), millis(percentile(createCall, 0.99)))
	p99 := percentile(toTraffic, 0.99)
	fmt.Fprintf(w, "\ntarget, HTTPRoute change to traffic with %s routes in place: p99 %s < %s: %s\n",
		thousands(settings.routes), millis(p99), applyTarget, verdict(p99 < applyTarget))
}

func millis(d time.Duration) string {
	return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
}
