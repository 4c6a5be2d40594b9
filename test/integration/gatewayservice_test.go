package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/turnpike-gateway/turnpike/controllers/compiler"
)

// TestGatewayServices runs the provisioner of per-Gateway Services against a real
// API server, step by step as a user meets it: a GatewayClass with parameters, two
// Gateways on the same listener port, a load balancer that answers, labels and
// annotations that change, pods that come and go, Gateways that are deleted or
// leave Turnpike, and a Service name someone else already holds.
func TestGatewayServices(t *testing.T) {
	se := startServiceEnv(t)
	ctx := context.Background()
	for _, ns := range []string{turnpikeNamespace, "ops", "apps"} {
		se.create(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	}
	se.turnpikePod(t, "turnpike-a", "10.1.0.1")
	params := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ops", Name: "turnpike-services"},
		Data: map[string]string{
			compiler.ParamServiceType: "LoadBalancer",
			compiler.ParamAnnotations: "example.com/lb-scheme: internal\n",
			compiler.ParamLabels:      "team: edge\n",
		},
	}
	se.create(t, params)
	se.create(t, &gwapiv1.GatewayClass{
		ObjectMeta: metav1.ObjectMeta{Name: "turnpike"},
		Spec: gwapiv1.GatewayClassSpec{ControllerName: compiler.ControllerName,
			ParametersRef: &gwapiv1.ParametersReference{Kind: "ConfigMap", Namespace: ptr.To(gwapiv1.Namespace("ops")), Name: params.Name}},
	})
	web := serviceGateway("apps", "web")
	web.Spec.Infrastructure = &gwapiv1.GatewayInfrastructure{
		Labels:      map[gwapiv1.LabelKey]gwapiv1.LabelValue{"tier": "frontend"},
		Annotations: map[gwapiv1.AnnotationKey]gwapiv1.AnnotationValue{"example.com/owner": "web-team"},
	}
	api := serviceGateway("apps", "api")
	se.create(t, web)
	se.create(t, api)

	var webPort, apiPort int32
	t.Run("each Gateway gets its own Service, owned by it", func(t *testing.T) {
		eventually(t, "Service of Gateway web", func() error {
			svc, err := se.gatewayService("web", "apps")
			if err != nil {
				return err
			}
			if err := ownedByGateway(svc.OwnerReferences, web); err != nil {
				return err
			}
			for key, want := range map[string]string{"team": "edge", "tier": "frontend", compiler.LabelManagedBy: compiler.ManagedByTurnpike} {
				if svc.Labels[key] != want {
					return fmt.Errorf("label %s=%q, want %q (labels %v)", key, svc.Labels[key], want, svc.Labels)
				}
			}
			for key, want := range map[string]string{"example.com/lb-scheme": "internal", "example.com/owner": "web-team"} {
				if svc.Annotations[key] != want {
					return fmt.Errorf("annotation %s=%q, want %q", key, svc.Annotations[key], want)
				}
			}
			if svc.Spec.Type != corev1.ServiceTypeLoadBalancer || len(svc.Spec.Selector) != 0 {
				return fmt.Errorf("type %s, selector %v; want LoadBalancer and none", svc.Spec.Type, svc.Spec.Selector)
			}
			webPort, err = targetPort(svc, 80)
			return err
		})
		eventually(t, "Service of Gateway api", func() error {
			svc, err := se.gatewayService("api", "apps")
			if err != nil {
				return err
			}
			apiPort, err = targetPort(svc, 80)
			return err
		})
		if webPort == apiPort || !servicePortRange.Contains(webPort) || !servicePortRange.Contains(apiPort) {
			t.Fatalf("Gateways web and api both on :80 got container ports %d and %d; want two different ports of %s",
				webPort, apiPort, servicePortRange)
		}
	})

	t.Run("the EndpointSlice lists Turnpike's pods on the container port", func(t *testing.T) {
		eventually(t, "EndpointSlice of Gateway web", func() error { return sliceHas(se, "web", webPort, map[string]bool{"10.1.0.1": true}) })
	})

	t.Run("Programmed waits for the load balancer, then publishes its address", func(t *testing.T) {
		eventually(t, "Gateway web waiting", func() error {
			return gatewayCondition(se, "web", metav1.ConditionFalse, string(gwapiv1.GatewayReasonAddressNotAssigned), "waiting for an address from the load balancer")
		})
		svc, _ := se.gatewayService("web", "apps")
		se.update(t, svc, func() {
			svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "203.0.113.50"}}
		}, true)
		eventually(t, "Gateway web Programmed with the load balancer's address", func() error {
			if err := gatewayCondition(se, "web", metav1.ConditionTrue, string(gwapiv1.GatewayReasonProgrammed), ""); err != nil {
				return err
			}
			gw, _ := se.gateway("apps", "web")
			if len(gw.Status.Addresses) != 1 || gw.Status.Addresses[0].Value != "203.0.113.50" {
				return fmt.Errorf("status.addresses %+v, want 203.0.113.50", gw.Status.Addresses)
			}
			if listenerOn(se.publisher.Latest(), gwapiv1.PortNumber(webPort)) == nil {
				return fmt.Errorf("the snapshot has no listener on container port %d", webPort)
			}
			return nil
		})
	})

	t.Run("changes reach the Service, and other writers' fields stay", func(t *testing.T) {
		svc, _ := se.gatewayService("web", "apps")
		se.update(t, svc, func() { svc.Annotations["example.com/added-by-hand"] = "yes" }, false)
		se.update(t, web, func() {
			web.Spec.Infrastructure.Labels = map[gwapiv1.LabelKey]gwapiv1.LabelValue{"tier": "edge"}
		}, false)
		se.update(t, params, func() { params.Data[compiler.ParamAnnotations] = "example.com/lb-scheme: external\n" }, false)
		eventually(t, "Service of Gateway web updated", func() error {
			svc, err := se.gatewayService("web", "apps")
			if err != nil {
				return err
			}
			if svc.Labels["tier"] != "edge" || svc.Annotations["example.com/lb-scheme"] != "external" {
				return fmt.Errorf("labels %v, annotations %v; want tier=edge and lb-scheme=external", svc.Labels, svc.Annotations)
			}
			if svc.Annotations["example.com/added-by-hand"] != "yes" {
				return fmt.Errorf("the annotation another writer set is gone: %v", svc.Annotations)
			}
			if got, _ := targetPort(svc, 80); got != webPort {
				return fmt.Errorf("port 80 moved from %d to %d", webPort, got)
			}
			return nil
		})
	})

	t.Run("pods coming, going and not ready", func(t *testing.T) {
		second := se.turnpikePod(t, "turnpike-b", "10.1.0.2")
		eventually(t, "both pods listed", func() error {
			return sliceHas(se, "web", webPort, map[string]bool{"10.1.0.1": true, "10.1.0.2": true})
		})
		se.update(t, second, func() { second.Status.Conditions[0].Status = corev1.ConditionFalse }, true)
		eventually(t, "the pod that is not ready is not ready", func() error {
			return sliceHas(se, "web", webPort, map[string]bool{"10.1.0.1": true, "10.1.0.2": false})
		})
		if err := se.k8s.Delete(ctx, second, &client.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the deleted pod is gone", func() error { return sliceHas(se, "web", webPort, map[string]bool{"10.1.0.1": true}) })
	})

	t.Run("deleting a Gateway moves nobody, and its port stays reserved until its Service goes", func(t *testing.T) {
		apiService, _ := se.gatewayService("api", "apps")
		if err := ownedByGateway(apiService.OwnerReferences, api); err != nil {
			t.Fatalf("the garbage collector would not delete api's Service: %v", err)
		}
		if err := se.k8s.Delete(ctx, api); err != nil {
			t.Fatal(err)
		}
		// envtest runs no garbage collector: the Service stays, as it does in a
		// cluster for a moment.
		late := serviceGateway("apps", "late")
		se.create(t, late)
		eventually(t, "Service of Gateway late", func() error {
			svc, err := se.gatewayService("late", "apps")
			if err != nil {
				return err
			}
			port, err := targetPort(svc, 80)
			if err == nil && (port == webPort || port == apiPort) {
				return fmt.Errorf("Gateway late got container port %d, which web (%d) or api's Service (%d) still uses", port, webPort, apiPort)
			}
			return err
		})
		svc, _ := se.gatewayService("web", "apps")
		if got, _ := targetPort(svc, 80); got != webPort {
			t.Errorf("Gateway web moved from %d to %d", webPort, got)
		}
	})

	t.Run("a Gateway that leaves Turnpike loses its Service", func(t *testing.T) {
		se.create(t, &gwapiv1.GatewayClass{ObjectMeta: metav1.ObjectMeta{Name: "other"},
			Spec: gwapiv1.GatewayClassSpec{ControllerName: "example.com/other-controller"}})
		late := &gwapiv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "late"}}
		se.update(t, late, func() { late.Spec.GatewayClassName = "other" }, false)
		eventually(t, "Service of Gateway late deleted", func() error {
			if _, err := se.gatewayService("late", "apps"); !apierrors.IsNotFound(err) {
				return fmt.Errorf("Service of Gateway late: %v, want NotFound", err)
			}
			if _, err := se.gatewayEndpointSlice("late", "apps"); !apierrors.IsNotFound(err) {
				return fmt.Errorf("EndpointSlice of Gateway late: %v, want NotFound", err)
			}
			return nil
		})
	})

	t.Run("a Service Turnpike does not own is never touched", func(t *testing.T) {
		squatter := &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: compiler.GatewayServiceName("taken"), Labels: map[string]string{"owner": "someone"}},
			Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}}},
		}
		se.create(t, squatter)
		se.create(t, serviceGateway("apps", "taken"))
		eventually(t, "Gateway taken reports the name", func() error {
			return gatewayCondition(se, "taken", metav1.ConditionFalse, string(gwapiv1.GatewayReasonAddressNotAssigned), "already exists")
		})
		got := &corev1.Service{}
		if err := se.k8s.Get(ctx, client.ObjectKeyFromObject(squatter), got); err != nil {
			t.Fatal(err)
		}
		if len(got.OwnerReferences) != 0 || got.Labels[compiler.LabelManagedBy] != "" || got.Spec.Ports[0].TargetPort.IntVal != 8080 {
			t.Errorf("Turnpike changed a Service it does not own: %+v", got)
		}
		if err := se.k8s.Delete(ctx, got); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the freed name becomes Gateway taken's Service", func() error {
			svc, err := se.gatewayService("taken", "apps")
			if err != nil {
				return err
			}
			_, ours := compiler.ServiceOwner(svc, compiler.ControllerName)
			if !ours {
				return fmt.Errorf("Service %s is not Turnpike's yet", svc.Name)
			}
			return nil
		})
	})
}

func serviceGateway(ns, name string) *gwapiv1.Gateway {
	return &gwapiv1.Gateway{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: gwapiv1.GatewaySpec{
			GatewayClassName: "turnpike",
			Listeners:        []gwapiv1.Listener{{Name: "http", Port: 80, Protocol: gwapiv1.HTTPProtocolType}},
		},
	}
}

func ownedByGateway(refs []metav1.OwnerReference, gw *gwapiv1.Gateway) error {
	for _, ref := range refs {
		if ref.Kind == "Gateway" && ref.APIVersion == gwapiv1.GroupVersion.String() && ref.Name == gw.Name &&
			ref.UID == gw.UID && ptr.Deref(ref.Controller, false) {
			return nil
		}
	}
	return fmt.Errorf("no controller ownerReference to Gateway %s (UID %s) in %+v", gw.Name, gw.UID, refs)
}

func gatewayCondition(se *serviceEnv, name string, status metav1.ConditionStatus, reason, inMessage string) error {
	gw, err := se.gateway("apps", name)
	if err != nil {
		return err
	}
	if err := conditionIs(gw.Status.Conditions, string(gwapiv1.GatewayConditionProgrammed), status, reason, gw.Generation); err != nil {
		return err
	}
	for _, c := range gw.Status.Conditions {
		if c.Type == string(gwapiv1.GatewayConditionProgrammed) && !strings.Contains(c.Message, inMessage) {
			return fmt.Errorf("Programmed message %q does not say %q", c.Message, inMessage)
		}
	}
	return nil
}

// sliceHas checks the EndpointSlice of a Gateway: its one port, and exactly the
// endpoints of want with their readiness.
func sliceHas(se *serviceEnv, gateway string, port int32, want map[string]bool) error {
	slice, err := se.gatewayEndpointSlice(gateway, "apps")
	if err != nil {
		return err
	}
	if len(slice.Ports) != 1 || ptr.Deref(slice.Ports[0].Port, 0) != port || ptr.Deref(slice.Ports[0].Name, "") != "http-80" {
		return fmt.Errorf("ports %+v, want http-80 on %d", slice.Ports, port)
	}
	got := map[string]bool{}
	for _, e := range slice.Endpoints {
		got[e.Addresses[0]] = ptr.Deref(e.Conditions.Ready, false)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		return fmt.Errorf("endpoints (address: ready) %v, want %v", got, want)
	}
	return nil
}
