package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/testr"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/turnpike-gateway/turnpike/controllers"
	"github.com/turnpike-gateway/turnpike/controllers/compiler"
	"github.com/turnpike-gateway/turnpike/test/internal/harness"
)

// serviceEnv is an API server of its own running the pipeline the way
// `turnpike serve --gateway-service-mode=perGateway` wires it: the package's
// shared pipeline binds listener ports, and the two modes cannot share a
// controller name's Gateways.
type serviceEnv struct {
	k8s       client.Client
	publisher *recordingPublisher
}

const (
	turnpikeNamespace = "turnpike-system"
	turnpikePodLabel  = "app.kubernetes.io/name"
)

var servicePortRange = compiler.PortRange{First: 10000, Last: 10099}

func startServiceEnv(t *testing.T) *serviceEnv {
	t.Helper()
	assets, err := harness.KubeAssetsDir(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths: []string{
			filepath.Join("..", "..", "config", "crd", "gateway-api"),
			filepath.Join("..", "..", "config", "crd", "bases"),
		},
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("starting kube-apiserver and etcd: %v", err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stopping envtest: %v", err)
		}
	})
	log := logr.Discard()
	if os.Getenv("TURNPIKE_TEST_LOG") != "" {
		log = testr.NewWithOptions(t, testr.Options{Verbosity: 1})
	}
	scheme := controllers.NewScheme()
	k8sClient, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		Logger:                 log,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		// The package's shared pipeline registered the same controller names in
		// this process already.
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		t.Fatal(err)
	}
	se := &serviceEnv{k8s: k8sClient, publisher: &recordingPublisher{}}
	_, err = controllers.Setup(mgr, controllers.Options{
		Publisher: se.publisher,
		GatewayServices: &controllers.GatewayServiceOptions{
			Ports:        servicePortRange,
			PodNamespace: turnpikeNamespace,
			PodLabels:    map[string]string{turnpikePodLabel: "turnpike"},
		},
		Log: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := mgr.Start(ctx); err != nil {
			t.Errorf("manager stopped: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done }) // before env.Stop: cleanups run last in, first out
	return se
}

func (se *serviceEnv) create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := se.k8s.Create(context.Background(), obj); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
}

// update reads obj fresh, applies mutate and writes it, retrying on conflicts
// (Turnpike writes the same objects' status).
func (se *serviceEnv) update(t *testing.T, obj client.Object, mutate func(), status bool) {
	t.Helper()
	eventually(t, fmt.Sprintf("updating %T %s", obj, obj.GetName()), func() error {
		if err := se.k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		mutate()
		if status {
			return se.k8s.Status().Update(context.Background(), obj)
		}
		return se.k8s.Update(context.Background(), obj)
	})
}

// turnpikePod creates one of Turnpike's pods, running and ready at ip.
func (se *serviceEnv) turnpikePod(t *testing.T, name, ip string) *corev1.Pod {
	t.Helper()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: turnpikeNamespace, Name: name,
			Labels: map[string]string{turnpikePodLabel: "turnpike"}},
		Spec: corev1.PodSpec{
			NodeName:                     "node-a",
			AutomountServiceAccountToken: ptr.To(false),
			Containers:                   []corev1.Container{{Name: "turnpike", Image: "turnpike:test"}},
		},
	}
	se.create(t, pod)
	se.update(t, pod, func() {
		pod.Status.Phase = corev1.PodRunning
		pod.Status.PodIP = ip
		pod.Status.PodIPs = []corev1.PodIP{{IP: ip}}
		pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
	}, true)
	return pod
}

func (se *serviceEnv) gatewayService(name, ns string) (*corev1.Service, error) {
	svc := &corev1.Service{}
	err := se.k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: compiler.GatewayServiceName(name)}, svc)
	return svc, err
}

func (se *serviceEnv) gatewayEndpointSlice(name, ns string) (*discoveryv1.EndpointSlice, error) {
	slice := &discoveryv1.EndpointSlice{}
	err := se.k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: compiler.GatewayServiceName(name)}, slice)
	return slice, err
}

func (se *serviceEnv) gateway(ns, name string) (*gwapiv1.Gateway, error) {
	gw := &gwapiv1.Gateway{}
	err := se.k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, gw)
	return gw, err
}

// targetPort is the container port a Service maps listener port onto.
func targetPort(svc *corev1.Service, port int32) (int32, error) {
	for _, p := range svc.Spec.Ports {
		if p.Port == port {
			return p.TargetPort.IntVal, nil
		}
	}
	return 0, fmt.Errorf("Service %s/%s has no port %d: %+v", svc.Namespace, svc.Name, port, svc.Spec.Ports)
}
