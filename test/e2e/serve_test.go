package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/turnpike-gateway/turnpike/controllers"
	"github.com/turnpike-gateway/turnpike/test/internal/harness"
)

// TestServeAgainstAPIServer runs the real `turnpike serve` binary against a real
// kube-apiserver, installed from config/default and running as its ServiceAccount: objects applied through the API become traffic answers on the
// Gateway's address, and the elected leader writes status.
//
// The API server refuses loopback addresses in EndpointSlices, and this test sends
// packets to loopback only, so the backends here are ones whose answers come from
// Turnpike itself: a Service whose only endpoint is not ready (503), a backendRef to
// a missing Service (500) and a path no route matches (404). Proxying to a live
// backend is covered by the standalone and data-plane tests.
func TestServeAgainstAPIServer(t *testing.T) {
	env := &envtest.Environment{
		BinaryAssetsDirectory: harness.KubeAssets(t, filepath.Join("..", "..")),
		CRDDirectoryPaths:     []string{filepath.Join("..", "..", "config", "crd", "gateway-api")},
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("starting kube-apiserver and etcd: %v", err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	k8s, err := client.New(cfg, client.Options{Scheme: controllers.NewScheme()})
	if err != nil {
		t.Fatal(err)
	}
	// Install config/default (namespace, ServiceAccount, the RBAC generated from the
	// markers, the Deployment) with the real kubectl, as an administrator would...
	adminKubeconfig := harness.WriteKubeconfig(t, env, envtest.User{Name: "admin", Groups: []string{"system:masters"}})
	kubectl := exec.Command(filepath.Join(harness.KubeAssets(t, filepath.Join("..", "..")), "kubectl"), "--kubeconfig", adminKubeconfig,
		"apply", "--server-side", "-k", filepath.Join("..", "..", "config", "default"))
	if out, err := kubectl.CombinedOutput(); err != nil {
		t.Fatalf("kubectl apply -k config/default: %v\n%s", err, out)
	}
	// ...then run Turnpike with exactly the ServiceAccount's identity, so that any
	// permission the generated RBAC lacks shows up as an error or a missing answer.
	kubeconfigPath := harness.WriteKubeconfig(t, env, envtest.User{
		Name:   "system:serviceaccount:turnpike-system:turnpike",
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:turnpike-system", "system:authenticated"},
	})

	ctx := context.Background()
	mustCreate := func(obj client.Object) {
		t.Helper()
		if err := k8s.Create(ctx, obj); err != nil {
			t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
		}
	}

	admin := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	proc, logs := startProcess(t, turnpikeBin, "serve", "--kubeconfig", kubeconfigPath,
		"--leader-election-namespace", "turnpike-system", "--admin-address", admin, "--drain-timeout", "5s")

	port := freePort(t)
	mustCreate(&gwapiv1.GatewayClass{
		ObjectMeta: metav1.ObjectMeta{Name: "turnpike"},
		Spec:       gwapiv1.GatewayClassSpec{ControllerName: "turnpike.dev/gateway-controller"},
	})
	mustCreate(&gwapiv1.Gateway{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "gw"},
		Spec: gwapiv1.GatewaySpec{
			GatewayClassName: "turnpike",
			Addresses:        []gwapiv1.GatewaySpecAddress{{Type: ptr.To(gwapiv1.IPAddressType), Value: "127.0.0.1"}},
			Listeners:        []gwapiv1.Listener{{Name: "http", Port: gwapiv1.PortNumber(port), Protocol: gwapiv1.HTTPProtocolType}},
		},
	})
	mustCreate(&corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "warming-up"},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}}},
	})
	mustCreate(&discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "warming-up-1",
			Labels: map[string]string{discoveryv1.LabelServiceName: "warming-up"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](8080)}},
		Endpoints: []discoveryv1.Endpoint{{
			Addresses:  []string{"10.244.0.9"},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(false)},
		}},
	})
	route := func(name, path, backend string) *gwapiv1.HTTPRoute {
		return &gwapiv1.HTTPRoute{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
			Spec: gwapiv1.HTTPRouteSpec{
				CommonRouteSpec: gwapiv1.CommonRouteSpec{ParentRefs: []gwapiv1.ParentReference{{Name: "gw"}}},
				Rules: []gwapiv1.HTTPRouteRule{{
					Matches: []gwapiv1.HTTPRouteMatch{{Path: &gwapiv1.HTTPPathMatch{
						Type: ptr.To(gwapiv1.PathMatchPathPrefix), Value: ptr.To(path)}}},
					BackendRefs: []gwapiv1.HTTPBackendRef{{BackendRef: gwapiv1.BackendRef{
						BackendObjectReference: gwapiv1.BackendObjectReference{
							Name: gwapiv1.ObjectName(backend), Port: ptr.To[gwapiv1.PortNumber](80)},
					}}},
				}},
			},
		}
	}
	mustCreate(route("warming", "/warming", "warming-up"))
	mustCreate(route("dangling", "/dangling", "does-not-exist"))

	httpClient := &http.Client{Timeout: 5 * time.Second}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	problemType := func(path string, wantStatus int) func() error {
		return func() error {
			resp, body, err := get(httpClient, base+path, "")
			if err != nil {
				return err
			}
			var problem struct {
				Type string `json:"type"`
			}
			if err := json.Unmarshal(body, &problem); err != nil {
				return fmt.Errorf("status %d, body %q: %w", resp.StatusCode, body, err)
			}
			if resp.StatusCode != wantStatus {
				return fmt.Errorf("status %d (%s), want %d", resp.StatusCode, problem.Type, wantStatus)
			}
			return nil
		}
	}
	waitFor(t, "route with no ready endpoint answers 503", logs, problemType("/warming/x", http.StatusServiceUnavailable))
	waitFor(t, "route with a missing backend answers 500", logs, problemType("/dangling", http.StatusInternalServerError))
	waitFor(t, "unmatched path answers 404", logs, problemType("/nowhere", http.StatusNotFound))
	waitFor(t, "readyz", logs, func() error {
		resp, body, err := get(httpClient, "http://"+admin+"/readyz", "")
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("readyz %d: %s", resp.StatusCode, body)
		}
		return nil
	})
	waitFor(t, "the leader writes Gateway status", logs, func() error {
		gw := &gwapiv1.Gateway{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: "default", Name: "gw"}, gw); err != nil {
			return err
		}
		for _, c := range gw.Status.Conditions {
			if c.Type == "Programmed" && c.Status == metav1.ConditionTrue && c.ObservedGeneration == gw.Generation {
				if len(gw.Status.Addresses) != 1 || gw.Status.Addresses[0].Value != "127.0.0.1" {
					return fmt.Errorf("addresses %+v", gw.Status.Addresses)
				}
				return nil
			}
		}
		return fmt.Errorf("conditions %+v", gw.Status.Conditions)
	})
	checkAuthPolicyLifecycle(t, k8s, kubectlRunner(t, filepath.Join(harness.KubeAssets(t, filepath.Join("..", "..")), "kubectl"), adminKubeconfig), base, logs)

	lease := &coordinationv1.Lease{}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: "turnpike-system", Name: "turnpike.turnpike.dev"}, lease); err != nil {
		t.Errorf("no leader-election Lease: %v", err)
	} else if lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity == "" {
		t.Errorf("the Lease has no holder: %+v", lease.Spec)
	}

	if err := proc.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- proc.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("turnpike serve exited with %v after SIGTERM\n%s", err, logs.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("turnpike serve did not exit after SIGTERM\n%s", logs.String())
	}
	for _, line := range strings.Split(logs.String(), "\n") {
		// controller-runtime reports its own release of the Lease at shutdown
		// (LeaderElectionReleaseOnCancel) as "leader election lost" once the stop
		// sequence has begun; that line is expected, any other error is not.
		if strings.Contains(line, `"level":"error"`) && !strings.Contains(line, `"error":"leader election lost"`) {
			t.Errorf("turnpike serve logged an error: %s", line)
		}
	}
}
