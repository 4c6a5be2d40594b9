package helm

import (
	"context"
	"fmt"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/turnpike-gateway/turnpike/controllers"
	"github.com/turnpike-gateway/turnpike/controllers/compiler"
	"github.com/turnpike-gateway/turnpike/test/internal/harness"
)

// TestInstallGrantsEnoughRBAC installs the chart with helm into a real kube-apiserver,
// then runs the real `turnpike serve` with the arguments and environment of the
// chart's Deployment, authenticated as the chart's ServiceAccount: a Gateway and an
// HTTPRoute must be reconciled with no permission error, which proves that the chart's
// RBAC (and its leader-election Role in the release namespace) is enough.
//
// The API server refuses loopback addresses in EndpointSlices, so no traffic is sent:
// the data path is covered by test/e2e and the data-plane tests.
func TestInstallGrantsEnoughRBAC(t *testing.T) {
	helmBinary(t) // fail before starting an API server when helm is missing
	env := &envtest.Environment{BinaryAssetsDirectory: harness.KubeAssets(t, repoRoot)}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("starting kube-apiserver and etcd: %v", err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	k8s, err := client.New(cfg, client.Options{Scheme: controllers.NewScheme()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	ports, err := harness.FreePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	// The listener binds containerPort, the one port of the range: free on this
	// machine, as a pod's own ports are in a cluster.
	adminAddress, containerPort := harness.Loopback(ports[0]), ports[1]

	// The administrator installs the chart, Gateway API CRDs included, and upgrades it
	// once: CRDs shipped as templates must survive an upgrade. The GatewayClass makes
	// ClusterIP Services: the API server gives them an address at once, while a
	// LoadBalancer would wait for a load balancer that envtest does not have.
	adminKubeconfig := harness.WriteKubeconfig(t, env, envtest.User{Name: "admin", Groups: []string{"system:masters"}})
	install := []string{"--kubeconfig", adminKubeconfig, "--namespace", releaseNamespace,
		"--set", "gatewayAPI.installCRDs=true", "--timeout", "2m",
		"--set", "gatewayClass.serviceParameters.serviceType=ClusterIP",
		"--set", fmt.Sprintf("gatewayServices.portRange=%d-%d", containerPort, containerPort)}
	mustHelm(t, append([]string{"install", releaseName, chartDir, "--create-namespace"}, install...)...)
	mustHelm(t, append([]string{"upgrade", releaseName, chartDir}, install...)...)

	manifest := mustHelm(t, "get", "manifest", releaseName, "--kubeconfig", adminKubeconfig, "--namespace", releaseNamespace)
	var deployment appsv1.Deployment
	findManifest(t, decodeManifests(t, manifest), "Deployment", "", &deployment)
	pod := deployment.Spec.Template.Spec
	serviceAccount := &corev1.ServiceAccount{}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: releaseNamespace, Name: pod.ServiceAccountName}, serviceAccount); err != nil {
		t.Fatalf("the chart's ServiceAccount %s: %v", pod.ServiceAccountName, err)
	}

	// Turnpike runs as that ServiceAccount, as the kubelet would run it: same
	// arguments, POD_NAMESPACE as the downward API fills it, only the admin server
	// moved to a free loopback port.
	serviceAccountKubeconfig := harness.WriteKubeconfig(t, env, envtest.User{
		Name: fmt.Sprintf("system:serviceaccount:%s:%s", releaseNamespace, pod.ServiceAccountName),
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + releaseNamespace,
			"system:authenticated"},
	})
	// The image's entrypoint is the turnpike binary; the Deployment's args start with
	// the "serve" command.
	var args []string
	for _, arg := range pod.Containers[0].Args {
		if strings.HasPrefix(arg, "--admin-address=") {
			arg = "--admin-address=" + adminAddress
		}
		args = append(args, arg)
	}
	args = append(args, "--kubeconfig", serviceAccountKubeconfig)
	logs := startTurnpike(t, args, podEnvironment(t, pod.Containers[0].Env, releaseNamespace))

	gatewayClassName := gwapiv1.ObjectName("turnpike")
	mustCreate := func(object client.Object) {
		t.Helper()
		if err := k8s.Create(ctx, object); err != nil {
			t.Fatalf("creating %T %s: %v", object, object.GetName(), err)
		}
	}
	mustCreate(&gwapiv1.Gateway{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"},
		Spec: gwapiv1.GatewaySpec{
			GatewayClassName: gatewayClassName,
			Listeners:        []gwapiv1.Listener{{Name: "http", Port: 80, Protocol: gwapiv1.HTTPProtocolType}},
		},
	})
	mustCreate(&corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "app"},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}}},
	})
	mustCreate(&gwapiv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "app"},
		Spec: gwapiv1.HTTPRouteSpec{
			CommonRouteSpec: gwapiv1.CommonRouteSpec{ParentRefs: []gwapiv1.ParentReference{{Name: "web"}}},
			Rules: []gwapiv1.HTTPRouteRule{{BackendRefs: []gwapiv1.HTTPBackendRef{{BackendRef: gwapiv1.BackendRef{
				BackendObjectReference: gwapiv1.BackendObjectReference{Name: "app", Port: ptr.To[gwapiv1.PortNumber](80)},
			}}}}},
		},
	})

	waitFor(t, "the GatewayClass the chart created is Accepted", logs, func() error {
		class := &gwapiv1.GatewayClass{}
		if err := k8s.Get(ctx, client.ObjectKey{Name: string(gatewayClassName)}, class); err != nil {
			return err
		}
		return conditionTrue(class.Status.Conditions, "Accepted", class.Generation)
	})
	waitFor(t, "the Gateway is Programmed", logs, func() error {
		gateway := &gwapiv1.Gateway{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: "default", Name: "web"}, gateway); err != nil {
			return err
		}
		return conditionTrue(gateway.Status.Conditions, "Programmed", gateway.Generation)
	})
	// The leader created the Gateway's Service (create and patch on Services), owned
	// by the Gateway, mapping :80 onto the container port, and its EndpointSlice
	// (Turnpike's pods are read in the release namespace); status publishes the
	// Service's address.
	waitFor(t, "the Gateway's Service is published", logs, func() error {
		gateway := &gwapiv1.Gateway{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: "default", Name: "web"}, gateway); err != nil {
			return err
		}
		service := &corev1.Service{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: "default", Name: compiler.GatewayServiceName("web")}, service); err != nil {
			return err
		}
		if len(service.OwnerReferences) != 1 || service.OwnerReferences[0].UID != gateway.UID {
			return fmt.Errorf("the Service's ownerReferences %+v do not name the Gateway (UID %s)", service.OwnerReferences, gateway.UID)
		}
		if len(service.Spec.Ports) != 1 || service.Spec.Ports[0].TargetPort.IntValue() != containerPort {
			return fmt.Errorf("the Service's ports %+v do not map :80 onto %d", service.Spec.Ports, containerPort)
		}
		if len(gateway.Status.Addresses) != 1 || gateway.Status.Addresses[0].Value != service.Spec.ClusterIP {
			return fmt.Errorf("status.addresses %+v, want the Service's cluster IP %s", gateway.Status.Addresses, service.Spec.ClusterIP)
		}
		return k8s.Get(ctx, client.ObjectKeyFromObject(service), &discoveryv1.EndpointSlice{})
	})
	waitFor(t, "the HTTPRoute is Accepted by the Gateway", logs, func() error {
		route := &gwapiv1.HTTPRoute{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: "default", Name: "app"}, route); err != nil {
			return err
		}
		if len(route.Status.Parents) != 1 {
			return fmt.Errorf("status.parents %+v, want the one Gateway", route.Status.Parents)
		}
		return conditionTrue(route.Status.Parents[0].Conditions, "Accepted", route.Generation)
	})
	lease := &coordinationv1.Lease{}
	leaseKey := client.ObjectKey{Namespace: releaseNamespace, Name: leaseName(t, args)}
	if err := k8s.Get(ctx, leaseKey, lease); err != nil {
		t.Errorf("no leader-election Lease %s: %v", leaseKey, err)
	} else if ptr.Deref(lease.Spec.HolderIdentity, "") == "" {
		t.Errorf("the Lease %s has no holder: %+v", leaseKey, lease.Spec)
	}

	// Every error logged while running counts; once SIGTERM has cancelled the
	// context, only a refused permission does (a write cut short by shutdown is not
	// this test's subject: test/e2e covers shutdown).
	runningLog := logs.String()
	stopTurnpike(t, logs)
	for _, line := range strings.Split(runningLog, "\n") {
		if strings.Contains(line, `"level":"error"`) {
			t.Errorf("turnpike serve, as the chart's ServiceAccount, logged: %s", line)
		}
	}
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "forbidden") {
			t.Errorf("turnpike serve, as the chart's ServiceAccount, was refused: %s", line)
		}
	}

	// Uninstalling removes the release's objects but keeps every CRD, and with them
	// the users' Gateways, routes and policies.
	mustHelm(t, "uninstall", releaseName, "--kubeconfig", adminKubeconfig, "--namespace", releaseNamespace, "--wait", "--timeout", "2m")
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(&deployment), &appsv1.Deployment{}); !apierrors.IsNotFound(err) {
		t.Errorf("the Deployment after helm uninstall: %v, want NotFound", err)
	}
	for _, name := range []string{"ratelimitpolicies.turnpike.dev", "gateways.gateway.networking.k8s.io"} {
		crd := &unstructured.Unstructured{}
		crd.SetGroupVersionKind(schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"})
		if err := k8s.Get(ctx, client.ObjectKey{Name: name}, crd); err != nil {
			t.Errorf("CRD %s after helm uninstall: %v, want it kept", name, err)
		}
	}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: "default", Name: "app"}, &gwapiv1.HTTPRoute{}); err != nil {
		t.Errorf("the HTTPRoute after helm uninstall: %v, want it kept", err)
	}
}

// conditionTrue says why the condition of type kind is not True for generation.
func conditionTrue(conditions []metav1.Condition, kind string, generation int64) error {
	for _, condition := range conditions {
		if condition.Type == kind {
			if condition.Status != metav1.ConditionTrue || condition.ObservedGeneration != generation {
				return fmt.Errorf("%s is %s for generation %d (want True for %d): %s",
					kind, condition.Status, condition.ObservedGeneration, generation, condition.Message)
			}
			return nil
		}
	}
	return fmt.Errorf("no %s condition in %+v", kind, conditions)
}

// leaseName is the --leader-election-id among the Deployment's arguments.
func leaseName(t *testing.T, args []string) string {
	t.Helper()
	for _, arg := range args {
		if name, found := strings.CutPrefix(arg, "--leader-election-id="); found {
			return name
		}
	}
	t.Fatalf("the Deployment's arguments %q name no --leader-election-id", args)
	return ""
}

// podEnvironment is the container's environment as the kubelet fills it; the chart
// uses the downward API only for the pod's namespace.
func podEnvironment(t *testing.T, env []corev1.EnvVar, namespace string) []string {
	t.Helper()
	var environment []string
	for _, variable := range env {
		switch {
		case variable.ValueFrom == nil:
			environment = append(environment, variable.Name+"="+variable.Value)
		case variable.ValueFrom.FieldRef != nil && variable.ValueFrom.FieldRef.FieldPath == "metadata.namespace":
			environment = append(environment, variable.Name+"="+namespace)
		default:
			t.Fatalf("the test does not know how the kubelet fills %s (%+v)", variable.Name, variable.ValueFrom)
		}
	}
	return environment
}
