package controllers

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/turnpike-gateway/turnpike/controllers/compiler"
)

func TestObjectMarksPrecedence(t *testing.T) {
	t.Parallel()
	gw := &gwapiv1.Gateway{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: gwapiv1.GatewaySpec{
		Infrastructure: &gwapiv1.GatewayInfrastructure{
			Labels: map[gwapiv1.LabelKey]gwapiv1.LabelValue{"tier": "gateway", compiler.LabelManagedBy: "someone"},
			Annotations: map[gwapiv1.AnnotationKey]gwapiv1.AnnotationValue{"example.com/scheme": "external",
				compiler.AnnotationControllerName: "example.com/impostor"},
		},
	}}
	params := compiler.ServiceParameters{
		Labels:      map[string]string{"tier": "class", "team": "edge"},
		Annotations: map[string]string{"example.com/scheme": "internal", "example.com/timeout": "60"},
	}
	labels, annotations := objectMarks(gw, params, compiler.ControllerName)
	wantLabels := map[string]string{"tier": "gateway", "team": "edge", compiler.LabelManagedBy: compiler.ManagedByTurnpike,
		compiler.LabelGatewayName: "web"}
	wantAnnotations := map[string]string{"example.com/scheme": "external", "example.com/timeout": "60",
		compiler.AnnotationControllerName: string(compiler.ControllerName)}
	if diff := cmp.Diff(wantLabels, labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantAnnotations, annotations); diff != "" {
		t.Errorf("annotations (-want +got):\n%s", diff)
	}
}

func TestServicePortsNames(t *testing.T) {
	t.Parallel()
	gw := &gwapiv1.Gateway{Spec: gwapiv1.GatewaySpec{Listeners: []gwapiv1.Listener{
		{Name: "https", Port: 443, Protocol: gwapiv1.HTTPSProtocolType},
		{Name: "http", Port: 80, Protocol: gwapiv1.HTTPProtocolType},
		{Name: "api", Port: 80, Protocol: gwapiv1.HTTPProtocolType, Hostname: ptr.To(gwapiv1.Hostname("api.example.com"))},
		{Name: "dns", Port: 53, Protocol: gwapiv1.UDPProtocolType},
		{Name: "clash", Port: 8443, Protocol: gwapiv1.HTTPProtocolType},
		{Name: "clash-tls", Port: 8443, Protocol: gwapiv1.HTTPSProtocolType},
	}}}
	got := servicePorts(gw, map[gwapiv1.PortNumber]int32{80: 10000, 443: 10001, 8443: 10002})
	want := []servicePort{
		{name: "http-80", listenerPort: 80, containerPort: 10000},
		{name: "https-443", listenerPort: 443, containerPort: 10001},
		{name: "http-8443", listenerPort: 8443, containerPort: 10002},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(servicePort{})); diff != "" {
		t.Errorf("ports (-want +got):\n%s", diff)
	}
}

func TestDesiredEndpointSlice(t *testing.T) {
	t.Parallel()
	pod := func(name string, ready bool, ips ...string) corev1.Pod {
		p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "turnpike-system", Name: name, UID: types.UID("uid-" + name)},
			Spec: corev1.PodSpec{NodeName: "node-1"}, Status: corev1.PodStatus{Phase: corev1.PodRunning}}
		for _, ip := range ips {
			p.Status.PodIPs = append(p.Status.PodIPs, corev1.PodIP{IP: ip})
		}
		if len(ips) > 0 {
			p.Status.PodIP = ips[0]
		}
		status := corev1.ConditionFalse
		if ready {
			status = corev1.ConditionTrue
		}
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: status}}
		return p
	}
	stopping := pod("c-stopping", true, "10.0.0.3")
	stopping.DeletionTimestamp = ptr.To(metav1.NewTime(time.Unix(1, 0)))
	done := pod("d-done", false, "10.0.0.4")
	done.Status.Phase = corev1.PodSucceeded
	pods := sortedPods([]corev1.Pod{done, stopping, pod("b-starting", false, "10.0.0.2"), pod("a-ready", true, "fd00::1", "10.0.0.1"),
		pod("e-no-ip", true)})
	gw := &gwapiv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "web", UID: "uid-web"},
		Spec: gwapiv1.GatewaySpec{Listeners: []gwapiv1.Listener{{Name: "http", Port: 80, Protocol: gwapiv1.HTTPProtocolType}}}}
	slice := desiredEndpointSlice(gw, map[gwapiv1.PortNumber]int32{80: 10000}, discoveryv1.AddressTypeIPv4, pods, compiler.ControllerName)

	type endpoint struct {
		Address                     string
		Ready, Serving, Terminating bool
	}
	var got []endpoint
	for _, e := range slice.Endpoints {
		got = append(got, endpoint{e.Addresses[0], *e.Conditions.Ready, *e.Conditions.Serving, *e.Conditions.Terminating})
	}
	want := []endpoint{
		{Address: "10.0.0.1", Ready: true, Serving: true},
		{Address: "10.0.0.2"},
		{Address: "10.0.0.3", Serving: true, Terminating: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("endpoints (-want +got):\n%s", diff)
	}
	if len(slice.Ports) != 1 || *slice.Ports[0].Name != "http-80" || *slice.Ports[0].Port != 10000 {
		t.Errorf("ports %+v, want http-80 on 10000", slice.Ports)
	}
	if *slice.Name != "turnpike-web" || slice.Labels[discoveryv1.LabelServiceName] != "turnpike-web" ||
		slice.Labels[discoveryv1.LabelManagedBy] != endpointSliceManager {
		t.Errorf("name %s, labels %v: want the Service's name and Turnpike as manager", *slice.Name, slice.Labels)
	}
	v6 := desiredEndpointSlice(gw, map[gwapiv1.PortNumber]int32{80: 10000}, discoveryv1.AddressTypeIPv6, pods, compiler.ControllerName)
	if len(v6.Endpoints) != 1 || v6.Endpoints[0].Addresses[0] != "fd00::1" {
		t.Errorf("IPv6 endpoints %+v, want the one pod with an IPv6 address", v6.Endpoints)
	}
}
