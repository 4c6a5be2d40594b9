package compiler

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func TestGatewayServiceName(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 240)
	tests := []struct {
		gateway string
		want    string // empty: only checked for validity and uniqueness
	}{
		{gateway: "web", want: "turnpike-web"},
		{gateway: "0-starts-with-a-digit", want: "turnpike-0-starts-with-a-digit"},
		{gateway: strings.Repeat("b", 54), want: "turnpike-" + strings.Repeat("b", 54)},
		{gateway: strings.Repeat("b", 55)},
		{gateway: "web.example"},
		{gateway: "web-example"},
		{gateway: long + "x"},
		{gateway: long + "y"},
		{gateway: "dash-at-the-cut" + strings.Repeat("-", 60) + "z"},
	}
	seen := map[string]string{}
	for _, tt := range tests {
		got := GatewayServiceName(tt.gateway)
		if tt.want != "" && got != tt.want {
			t.Errorf("GatewayServiceName(%q) = %q, want %q", tt.gateway, got, tt.want)
		}
		if problems := validation.IsDNS1035Label(got); len(problems) > 0 {
			t.Errorf("GatewayServiceName(%q) = %q is not a valid Service name: %v", tt.gateway, got, problems)
		}
		if other, dup := seen[got]; dup {
			t.Errorf("Gateways %q and %q both get Service %q", other, tt.gateway, got)
		}
		seen[got] = tt.gateway
		if again := GatewayServiceName(tt.gateway); again != got {
			t.Errorf("GatewayServiceName(%q) is not stable: %q then %q", tt.gateway, got, again)
		}
	}
}

func TestParsePortRange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    PortRange
		wantErr bool
	}{
		{in: "10000-19999", want: PortRange{First: 10000, Last: 19999}},
		{in: "20000-20000", want: PortRange{First: 20000, Last: 20000}},
		{in: " 1024 - 65535 ", want: PortRange{First: 1024, Last: 65535}},
		{in: "80-1000", wantErr: true},
		{in: "30000-20000", wantErr: true},
		{in: "10000-70000", wantErr: true},
		{in: "10000", wantErr: true},
		{in: "a-b", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParsePortRange(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParsePortRange(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// newGateway is a Gateway of class "turnpike" created minutesAfter some origin,
// with one HTTP listener per port.
func newGateway(ns, name string, minutesAfter int, ports ...gwapiv1.PortNumber) *gwapiv1.Gateway {
	gw := &gwapiv1.Gateway{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID("uid-" + name),
			CreationTimestamp: metav1.NewTime(time.Date(2024, 1, 1, 0, minutesAfter, 0, 0, time.UTC))},
		Spec: gwapiv1.GatewaySpec{GatewayClassName: "turnpike"},
	}
	for _, port := range ports {
		gw.Spec.Listeners = append(gw.Spec.Listeners, gwapiv1.Listener{
			Name: gwapiv1.SectionName(fmt.Sprintf("http-%d", port)), Port: port, Protocol: gwapiv1.HTTPProtocolType})
	}
	return gw
}

// recordedService is the Service the leader writes for gw with ports as the
// record: what controllers/gatewayservice.go applies, reduced to what is read back.
func recordedService(gw *gwapiv1.Gateway, ports map[gwapiv1.PortNumber]int32, ingressIP string) *corev1.Service {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:   gw.Namespace,
			Name:        GatewayServiceName(gw.Name),
			Labels:      map[string]string{LabelManagedBy: ManagedByTurnpike},
			Annotations: map[string]string{AnnotationControllerName: string(ControllerName)},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "gateway.networking.k8s.io/v1", Kind: "Gateway",
				Name: gw.Name, UID: gw.UID, Controller: ptrTo(true)}},
		},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ClusterIP: "10.96.0.1"},
	}
	for _, port := range sortedKeys(ports) {
		svc.Spec.Ports = append(svc.Spec.Ports, corev1.ServicePort{Port: port, Protocol: corev1.ProtocolTCP,
			TargetPort: intstr.FromInt32(ports[port])})
	}
	if ingressIP != "" {
		svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: ingressIP}}
	}
	return svc
}

// provision plays the leader: it writes (replaces) the Service of every Gateway
// from the current assignment, and keeps the Services of Gateways that are gone
// (they wait for garbage collection).
func provision(r PortRange, gateways []*gwapiv1.Gateway, services []*corev1.Service) []*corev1.Service {
	assignment := AssignContainerPorts(r, ControllerName, gateways, services)
	byName := map[types.NamespacedName]*corev1.Service{}
	for _, svc := range services {
		byName[types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name}] = svc
	}
	for _, gw := range gateways {
		svc := recordedService(gw, assignment[types.NamespacedName{Namespace: gw.Namespace, Name: gw.Name}].Ports, "")
		byName[types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name}] = svc
	}
	out := make([]*corev1.Service, 0, len(byName))
	for _, svc := range byName {
		out = append(out, svc)
	}
	return out
}

func portsOf(assignment map[types.NamespacedName]PortAssignment, ns, name string) map[gwapiv1.PortNumber]int32 {
	return assignment[types.NamespacedName{Namespace: ns, Name: name}].Ports
}

func TestAssignContainerPortsSharedListenerPort(t *testing.T) {
	t.Parallel()
	r := PortRange{First: 10000, Last: 10009}
	older, newer := newGateway("a", "web", 1, 80, 443), newGateway("b", "web", 2, 80)
	got := AssignContainerPorts(r, ControllerName, []*gwapiv1.Gateway{newer, older}, nil)
	want := map[types.NamespacedName]PortAssignment{
		{Namespace: "a", Name: "web"}: {Ports: map[gwapiv1.PortNumber]int32{80: 10000, 443: 10001}},
		{Namespace: "b", Name: "web"}: {Ports: map[gwapiv1.PortNumber]int32{80: 10002}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("assignment (-want +got):\n%s", diff)
	}
}

// TestAssignContainerPortsAreStable creates and deletes Gateways the way a cluster
// does, with the leader writing Services in between, and checks that no Gateway's
// ports ever move, that a restarted process (no memory, only the Services) agrees,
// and that every replica agrees whatever the order of its lists.
func TestAssignContainerPortsAreStable(t *testing.T) {
	t.Parallel()
	r := PortRange{First: 10000, Last: 10099}
	first, second, third := newGateway("x", "first", 1, 80), newGateway("y", "second", 2, 80, 8080), newGateway("z", "third", 3, 80)
	gateways := []*gwapiv1.Gateway{first, second, third}
	services := provision(r, gateways, nil)
	before := AssignContainerPorts(r, ControllerName, gateways, services)
	if diff := cmp.Diff(map[gwapiv1.PortNumber]int32{80: 10001, 8080: 10002}, portsOf(before, "y", "second")); diff != "" {
		t.Fatalf("second's ports (-want +got):\n%s", diff)
	}

	// The oldest Gateway is deleted; its Service waits for garbage collection.
	gateways = []*gwapiv1.Gateway{second, third}
	after := AssignContainerPorts(r, ControllerName, gateways, services)
	for _, gw := range gateways {
		if diff := cmp.Diff(portsOf(before, gw.Namespace, gw.Name), portsOf(after, gw.Namespace, gw.Name)); diff != "" {
			t.Errorf("deleting Gateway x/first moved %s/%s (-before +after):\n%s", gw.Namespace, gw.Name, diff)
		}
	}
	// A new Gateway does not take the port the deleted one's Service still sends
	// traffic to, and moves nobody.
	fourth := newGateway("w", "fourth", 4, 80)
	gateways = append(gateways, fourth)
	after = AssignContainerPorts(r, ControllerName, gateways, services)
	if got := portsOf(after, "w", "fourth")[80]; got != 10004 {
		t.Errorf("the new Gateway got %d, want 10004 (10000 is still the deleted Gateway's)", got)
	}
	services = provision(r, gateways, services)
	// Garbage collection removes the deleted Gateway's Service: its port is free
	// for the next Gateway, and still nobody moves.
	services = removeService(services, "x", GatewayServiceName("first"))
	fifth := newGateway("v", "fifth", 5, 80)
	gateways = append(gateways, fifth)
	after = AssignContainerPorts(r, ControllerName, gateways, services)
	if got := portsOf(after, "v", "fifth")[80]; got != 10000 {
		t.Errorf("the next Gateway got %d, want the freed 10000", got)
	}
	for _, gw := range []*gwapiv1.Gateway{second, third, fourth} {
		want := portsOf(before, gw.Namespace, gw.Name)
		if gw == fourth {
			want = map[gwapiv1.PortNumber]int32{80: 10004}
		}
		if diff := cmp.Diff(want, portsOf(after, gw.Namespace, gw.Name)); diff != "" {
			t.Errorf("%s/%s moved (-want +got):\n%s", gw.Namespace, gw.Name, diff)
		}
	}

	// Every replica, and a restarted one, computes the same from the same objects
	// in any order.
	rng := rand.New(rand.NewPCG(6, 6))
	for round := range 10 {
		again := AssignContainerPorts(r, ControllerName, shuffled(rng, gateways), shuffled(rng, services))
		if diff := cmp.Diff(after, again); diff != "" {
			t.Fatalf("round %d: the assignment depends on input order (-first +shuffled):\n%s", round, diff)
		}
	}
}

func removeService(services []*corev1.Service, ns, name string) []*corev1.Service {
	var out []*corev1.Service
	for _, svc := range services {
		if svc.Namespace != ns || svc.Name != name {
			out = append(out, svc)
		}
	}
	return out
}

func TestAssignContainerPortsIgnoresOtherServices(t *testing.T) {
	t.Parallel()
	r := PortRange{First: 10000, Last: 10009}
	gw := newGateway("a", "web", 1, 80)
	theirs := recordedService(newGateway("b", "other", 0, 80), map[gwapiv1.PortNumber]int32{80: 10000}, "")
	theirs.Annotations[AnnotationControllerName] = "example.com/another-turnpike"
	unmanaged := recordedService(newGateway("c", "plain", 0, 80), map[gwapiv1.PortNumber]int32{80: 10001}, "")
	delete(unmanaged.Labels, LabelManagedBy)
	got := AssignContainerPorts(r, ControllerName, []*gwapiv1.Gateway{gw}, []*corev1.Service{theirs, unmanaged})
	if diff := cmp.Diff(map[gwapiv1.PortNumber]int32{80: 10000}, portsOf(got, "a", "web")); diff != "" {
		t.Errorf("Services Turnpike does not own reserved ports (-want +got):\n%s", diff)
	}
}

func TestServiceBinderBind(t *testing.T) {
	t.Parallel()
	class := &gwapiv1.GatewayClass{ObjectMeta: metav1.ObjectMeta{Name: "turnpike"},
		Spec: gwapiv1.GatewayClassSpec{ControllerName: ControllerName}}
	gw := newGateway("default", "web", 1, 80)
	ports := map[gwapiv1.PortNumber]int32{80: 10007}
	lb := func(ingress ...corev1.LoadBalancerIngress) *corev1.Service {
		svc := recordedService(gw, ports, "")
		svc.Status.LoadBalancer.Ingress = ingress
		return svc
	}
	clusterIP := recordedService(gw, ports, "")
	clusterIP.Spec.Type = corev1.ServiceTypeClusterIP
	clusterIP.Spec.ClusterIPs = []string{"10.96.0.1", "fd00::1"}
	tests := []struct {
		name       string
		service    *corev1.Service
		want       []gwapiv1.GatewayStatusAddress
		wantReason gwapiv1.GatewayConditionReason
		wantInMsg  string
	}{
		{name: "load-balancer IP", service: lb(corev1.LoadBalancerIngress{IP: "203.0.113.5"}),
			want: []gwapiv1.GatewayStatusAddress{statusIP("203.0.113.5")}},
		{name: "load-balancer hostname and IP", service: lb(corev1.LoadBalancerIngress{Hostname: "lb.example.net"}, corev1.LoadBalancerIngress{IP: "203.0.113.5"}),
			want: []gwapiv1.GatewayStatusAddress{{Type: ptrTo(gwapiv1.HostnameAddressType), Value: "lb.example.net"}, statusIP("203.0.113.5")}},
		{name: "a load balancer without ingress is not the cluster IP", service: lb(),
			wantReason: gwapiv1.GatewayReasonAddressNotAssigned, wantInMsg: "waiting for an address from the load balancer"},
		{name: "cluster IPs of a ClusterIP Service", service: clusterIP,
			want: []gwapiv1.GatewayStatusAddress{statusIP("10.96.0.1"), statusIP("fd00::1")}},
		{name: "no Service yet", wantReason: gwapiv1.GatewayReasonAddressNotAssigned, wantInMsg: "Waiting for Service default/turnpike-web"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := Input{GatewayClasses: []*gwapiv1.GatewayClass{class}, Gateways: []*gwapiv1.Gateway{gw}}
			if tt.service != nil {
				in.Services = []*corev1.Service{tt.service}
			}
			binder := ServiceBinder{Ports: PortRange{First: 10000, Last: 10009}}.ForInput(in)
			binding, bindErr := binder.Bind(gw)
			if tt.wantReason != "" {
				if bindErr == nil || bindErr.Reason != tt.wantReason || !strings.Contains(bindErr.Message, tt.wantInMsg) {
					t.Fatalf("Bind = %+v, %+v; want reason %s with %q", binding, bindErr, tt.wantReason, tt.wantInMsg)
				}
				return
			}
			if bindErr != nil {
				t.Fatalf("Bind failed: %s: %s", bindErr.Reason, bindErr.Message)
			}
			if diff := cmp.Diff(Binding{Addresses: tt.want}, binding); diff != "" {
				t.Errorf("binding (-want +got):\n%s", diff)
			}
			if got := binder.Port(gw, 80); got != 10007 {
				t.Errorf("Port(80) = %d, want the recorded 10007", got)
			}
		})
	}
}

// TestServiceBinderWithoutInput: a ServiceBinder Compile never prepared knows of no
// Service, so it serves nothing rather than guessing ports.
func TestServiceBinderWithoutInput(t *testing.T) {
	t.Parallel()
	gw := newGateway("default", "web", 1, 80)
	if _, bindErr := (ServiceBinder{}).Bind(gw); bindErr == nil || bindErr.Reason != gwapiv1.GatewayReasonAddressNotAssigned {
		t.Errorf("Bind = %+v, want AddressNotAssigned", bindErr)
	}
}

func TestParseServiceParameters(t *testing.T) {
	t.Parallel()
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ops", Name: "lb"},
		Data: map[string]string{
			ParamServiceType:           "LoadBalancer",
			ParamAnnotations:           "example.com/scheme: internal\nexample.com/timeout: \"60\"\n",
			ParamLabels:                "team: edge",
			ParamExternalTrafficPolicy: "Local",
			ParamLoadBalancerClass:     "example.com/lb",
		},
	}
	got, err := ParseServiceParameters(cm)
	if err != nil {
		t.Fatal(err)
	}
	want := ServiceParameters{
		Type:                  corev1.ServiceTypeLoadBalancer,
		Annotations:           map[string]string{"example.com/scheme": "internal", "example.com/timeout": "60"},
		Labels:                map[string]string{"team": "edge"},
		ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyLocal,
		LoadBalancerClass:     "example.com/lb",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parameters (-want +got):\n%s", diff)
	}
	empty, err := ParseServiceParameters(&corev1.ConfigMap{})
	if err != nil || empty.Type != corev1.ServiceTypeLoadBalancer {
		t.Errorf("an empty ConfigMap = %+v, %v; want the LoadBalancer default", empty, err)
	}
}
