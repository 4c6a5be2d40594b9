package compiler

import (
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// syntheticInput is one Gateway with n HTTPRoutes, each with its own hostname, two
// rules with distinct paths, and its own Service with three ready endpoints.
func syntheticInput(n int) Input {
	created := metav1.NewTime(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	in := Input{
		GatewayClasses: []*gwapiv1.GatewayClass{{
			ObjectMeta: metav1.ObjectMeta{Name: "turnpike", Generation: 1},
			Spec:       gwapiv1.GatewayClassSpec{ControllerName: ControllerName},
		}},
		Gateways: []*gwapiv1.Gateway{{
			ObjectMeta: metav1.ObjectMeta{Name: "gw", Namespace: "default", Generation: 1, CreationTimestamp: created},
			Spec: gwapiv1.GatewaySpec{
				GatewayClassName: "turnpike",
				Listeners:        []gwapiv1.Listener{{Name: "http", Port: 80, Protocol: gwapiv1.HTTPProtocolType}},
			},
		}},
	}
	prefix, exact := gwapiv1.PathMatchPathPrefix, gwapiv1.PathMatchExact
	for i := range n {
		name := fmt.Sprintf("app-%d", i)
		port := gwapiv1.PortNumber(80)
		backend := []gwapiv1.HTTPBackendRef{{BackendRef: gwapiv1.BackendRef{
			BackendObjectReference: gwapiv1.BackendObjectReference{Name: gwapiv1.ObjectName(name), Port: &port},
		}}}
		in.HTTPRoutes = append(in.HTTPRoutes, &gwapiv1.HTTPRoute{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Generation: 1,
				CreationTimestamp: metav1.NewTime(created.Add(time.Duration(i) * time.Second))},
			Spec: gwapiv1.HTTPRouteSpec{
				CommonRouteSpec: gwapiv1.CommonRouteSpec{ParentRefs: []gwapiv1.ParentReference{{Name: "gw"}}},
				Hostnames:       []gwapiv1.Hostname{gwapiv1.Hostname(fmt.Sprintf("%s.example.com", name))},
				Rules: []gwapiv1.HTTPRouteRule{
					{
						Matches:     []gwapiv1.HTTPRouteMatch{{Path: &gwapiv1.HTTPPathMatch{Type: &prefix, Value: ptrTo(fmt.Sprintf("/api/%d", i))}}},
						BackendRefs: backend,
					},
					{
						Matches:     []gwapiv1.HTTPRouteMatch{{Path: &gwapiv1.HTTPPathMatch{Type: &exact, Value: ptrTo(fmt.Sprintf("/health/%d", i))}}},
						BackendRefs: backend,
					},
				},
			},
		})
		in.Services = append(in.Services, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
			Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80}}},
		})
		slice := &discoveryv1.EndpointSlice{
			ObjectMeta:  metav1.ObjectMeta{Name: name + "-1", Namespace: "default", Labels: map[string]string{discoveryv1.LabelServiceName: name}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Ports:       []discoveryv1.EndpointPort{{Name: ptrTo("http"), Port: ptrTo(int32(8080))}},
		}
		for j := range 3 {
			slice.Endpoints = append(slice.Endpoints, discoveryv1.Endpoint{
				Addresses: []string{fmt.Sprintf("10.%d.%d.%d", i/250%250, i%250, j+1)},
			})
		}
		in.EndpointSlices = append(in.EndpointSlices, slice)
	}
	return in
}

func benchmarkCompile(b *testing.B, routes int) {
	in := syntheticInput(routes)
	snap, report := Compile(in)
	if got := len(snap.Listeners[0].GatewayListeners[0].VirtualHosts); got != routes {
		b.Fatalf("synthetic input compiled to %d virtual hosts, want %d", got, routes)
	}
	if got := report.Gateways[snapKey("default", "gw")].Listeners[0].AttachedRoutes; got != int32(routes) {
		b.Fatalf("attached routes = %d, want %d", got, routes)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		Compile(in)
	}
}

func BenchmarkCompile1000Routes(b *testing.B)  { benchmarkCompile(b, 1000) }
func BenchmarkCompile10000Routes(b *testing.B) { benchmarkCompile(b, 10000) }
