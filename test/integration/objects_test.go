package integration

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/turnpike-gateway/turnpike/controllers/compiler"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

const className = "turnpike"

var (
	classOnce sync.Once
	nextPort  atomic.Int32
)

func init() { nextPort.Store(18000) }

// freshPort gives each test's Gateway its own listener port, so that tests running
// in parallel never share a socket in the snapshot.
func freshPort() gwapiv1.PortNumber { return gwapiv1.PortNumber(nextPort.Add(1)) }

func create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := k8s.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
}

func ensureClass(t *testing.T) {
	t.Helper()
	classOnce.Do(func() {
		gc := &gwapiv1.GatewayClass{
			ObjectMeta: metav1.ObjectMeta{Name: className},
			Spec:       gwapiv1.GatewayClassSpec{ControllerName: compiler.ControllerName},
		}
		if err := k8s.Create(context.Background(), gc); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("creating GatewayClass: %v", err)
		}
	})
}

// newNamespace creates a namespace for one test; tests never share objects.
func newNamespace(t *testing.T, labels map[string]string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "tp-", Labels: labels}}
	create(t, ns)
	return ns.Name
}

func gateway(ns, name string, port gwapiv1.PortNumber, from gwapiv1.FromNamespaces) *gwapiv1.Gateway {
	return &gwapiv1.Gateway{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: gwapiv1.GatewaySpec{
			GatewayClassName: className,
			Listeners: []gwapiv1.Listener{{
				Name:          "http",
				Port:          port,
				Protocol:      gwapiv1.HTTPProtocolType,
				AllowedRoutes: &gwapiv1.AllowedRoutes{Namespaces: &gwapiv1.RouteNamespaces{From: ptr.To(from)}},
			}},
		},
	}
}

func service(ns, name string, port int32) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{
			Name: "http", Port: port, TargetPort: intstr.FromInt32(8080), Protocol: corev1.ProtocolTCP,
		}}},
	}
}

func endpointSlice(ns, service string, ready bool, ips ...string) *discoveryv1.EndpointSlice {
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns, Name: service + "-1",
			Labels: map[string]string{discoveryv1.LabelServiceName: service},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](8080), Protocol: ptr.To(corev1.ProtocolTCP)}},
	}
	for _, ip := range ips {
		slice.Endpoints = append(slice.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{ip},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(ready)},
		})
	}
	return slice
}

type backendRef struct {
	namespace, name string
	port            int32
	weight          int32
}

func httpRoute(ns, name, gatewayNS, gatewayName string, hostnames []string, path string, backends ...backendRef) *gwapiv1.HTTPRoute {
	route := &gwapiv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: gwapiv1.HTTPRouteSpec{
			CommonRouteSpec: gwapiv1.CommonRouteSpec{ParentRefs: []gwapiv1.ParentReference{{
				Name: gwapiv1.ObjectName(gatewayName), Namespace: ptr.To(gwapiv1.Namespace(gatewayNS)),
			}}},
		},
	}
	for _, h := range hostnames {
		route.Spec.Hostnames = append(route.Spec.Hostnames, gwapiv1.Hostname(h))
	}
	rule := gwapiv1.HTTPRouteRule{Matches: []gwapiv1.HTTPRouteMatch{{
		Path: &gwapiv1.HTTPPathMatch{Type: ptr.To(gwapiv1.PathMatchPathPrefix), Value: ptr.To(path)},
	}}}
	for _, b := range backends {
		ref := gwapiv1.HTTPBackendRef{BackendRef: gwapiv1.BackendRef{
			BackendObjectReference: gwapiv1.BackendObjectReference{
				Name: gwapiv1.ObjectName(b.name), Port: ptr.To(gwapiv1.PortNumber(b.port)),
			},
		}}
		if b.namespace != "" {
			ref.Namespace = ptr.To(gwapiv1.Namespace(b.namespace))
		}
		if b.weight != 0 {
			ref.Weight = ptr.To(b.weight)
		}
		rule.BackendRefs = append(rule.BackendRefs, ref)
	}
	route.Spec.Rules = []gwapiv1.HTTPRouteRule{rule}
	return route
}

// listenerOn returns the snapshot's socket for a port, or nil.
func listenerOn(s *snapshot.Snapshot, port gwapiv1.PortNumber) *snapshot.Listener {
	if s == nil {
		return nil
	}
	for _, l := range s.Listeners {
		if l.Port == int32(port) {
			return l
		}
	}
	return nil
}

// routesOf collects the snapshot routes of one HTTPRoute served on a port.
func routesOf(s *snapshot.Snapshot, port gwapiv1.PortNumber, ns, name string) []*snapshot.Route {
	var out []*snapshot.Route
	l := listenerOn(s, port)
	if l == nil {
		return nil
	}
	for _, gl := range l.GatewayListeners {
		for _, vh := range gl.VirtualHosts {
			for _, r := range vh.Routes {
				if r.RouteNamespace == ns && r.RouteName == name {
					out = append(out, r)
				}
			}
		}
	}
	return out
}

func getGateway(ns, name string) (*gwapiv1.Gateway, error) {
	gw := &gwapiv1.Gateway{}
	err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, gw)
	return gw, err
}

func getRoute(ns, name string) (*gwapiv1.HTTPRoute, error) {
	route := &gwapiv1.HTTPRoute{}
	err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, route)
	return route, err
}

// ourParent returns the route's status entry written by Turnpike.
func ourParent(route *gwapiv1.HTTPRoute) (*gwapiv1.RouteParentStatus, error) {
	for i := range route.Status.Parents {
		if route.Status.Parents[i].ControllerName == compiler.ControllerName {
			return &route.Status.Parents[i], nil
		}
	}
	return nil, fmt.Errorf("no parent status from %s yet (parents: %d)", compiler.ControllerName, len(route.Status.Parents))
}
