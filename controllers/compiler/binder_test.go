package compiler

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func specAddress(addressType gwapiv1.AddressType, value string) gwapiv1.GatewaySpecAddress {
	a := gwapiv1.GatewaySpecAddress{Value: value}
	if addressType != "" {
		a.Type = &addressType
	}
	return a
}

func statusIP(value string) gwapiv1.GatewayStatusAddress {
	return gwapiv1.GatewayStatusAddress{Type: ptrTo(gwapiv1.IPAddressType), Value: value}
}

func TestListenerPortBinderBind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		publish     []string
		addresses   []gwapiv1.GatewaySpecAddress
		want        Binding
		wantErrCode gwapiv1.GatewayConditionReason
	}{
		{
			name:    "no address binds every interface and publishes the configured addresses",
			publish: []string{"203.0.113.1", "lb.example.com", "2001:DB8::1"},
			want: Binding{Addresses: []gwapiv1.GatewayStatusAddress{
				statusIP("203.0.113.1"),
				{Type: ptrTo(gwapiv1.HostnameAddressType), Value: "lb.example.com"},
				statusIP("2001:db8::1"),
			}},
		},
		{
			name: "no address and nothing to publish",
			want: Binding{},
		},
		{
			name:      "the first IP is bound and is the only one published",
			publish:   []string{"203.0.113.1"},
			addresses: []gwapiv1.GatewaySpecAddress{specAddress("", "192.0.2.1"), specAddress(gwapiv1.IPAddressType, "192.0.2.2")},
			want:      Binding{IP: "192.0.2.1", Addresses: []gwapiv1.GatewayStatusAddress{statusIP("192.0.2.1")}},
		},
		{
			name:      "an empty value is skipped",
			addresses: []gwapiv1.GatewaySpecAddress{specAddress(gwapiv1.IPAddressType, ""), specAddress("", "::1")},
			want:      Binding{IP: "::1", Addresses: []gwapiv1.GatewayStatusAddress{statusIP("::1")}},
		},
		{
			name:        "a hostname is unsupported",
			addresses:   []gwapiv1.GatewaySpecAddress{specAddress(gwapiv1.IPAddressType, "192.0.2.1"), specAddress(gwapiv1.HostnameAddressType, "gw.example.com")},
			wantErrCode: gwapiv1.GatewayReasonUnsupportedAddress,
		},
		{
			name:        "a named address is unsupported",
			addresses:   []gwapiv1.GatewaySpecAddress{specAddress(gwapiv1.NamedAddressType, "pool-a")},
			wantErrCode: gwapiv1.GatewayReasonUnsupportedAddress,
		},
		{
			name:        "an invalid IP is not usable",
			addresses:   []gwapiv1.GatewaySpecAddress{specAddress(gwapiv1.IPAddressType, "10.0.0.256")},
			wantErrCode: gwapiv1.GatewayReasonAddressNotUsable,
		},
		{
			name:        "an IP with a zone is not usable",
			addresses:   []gwapiv1.GatewaySpecAddress{specAddress(gwapiv1.IPAddressType, "fe80::1%eth0")},
			wantErrCode: gwapiv1.GatewayReasonAddressNotUsable,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gw := &gwapiv1.Gateway{ObjectMeta: metav1.ObjectMeta{Name: "gw", Namespace: "default"}}
			gw.Spec.Addresses = tt.addresses
			got, bindErr := ListenerPortBinder{PublishAddresses: tt.publish}.Bind(gw)
			if tt.wantErrCode != "" {
				if bindErr == nil || bindErr.Reason != tt.wantErrCode || bindErr.Message == "" {
					t.Fatalf("Bind error = %+v, want reason %s with a message", bindErr, tt.wantErrCode)
				}
				return
			}
			if bindErr != nil {
				t.Fatalf("Bind error = %+v, want none", bindErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Bind (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListenerPortBinderPort(t *testing.T) {
	t.Parallel()
	if got := (ListenerPortBinder{}).Port(&gwapiv1.Gateway{}, 8443); got != 8443 {
		t.Errorf("Port = %d, want the listener port 8443", got)
	}
}

// offsetBinder is a Binder of another run mode: every Gateway binds every interface,
// and each listener port is moved by the Gateway's offset, as an in-cluster binder
// maps listener ports onto container ports.
type offsetBinder map[string]int32

func (b offsetBinder) Bind(*gwapiv1.Gateway) (Binding, *BindError) { return Binding{}, nil }

func (b offsetBinder) Port(gw *gwapiv1.Gateway, listenerPort gwapiv1.PortNumber) int32 {
	return listenerPort + b[gw.Name]
}

// TestCompileUsesBinderPort: the socket port comes from the Binder, so Gateways whose
// listener ports collide can be kept apart by a mode that maps ports.
func TestCompileUsesBinderPort(t *testing.T) {
	t.Parallel()
	in := loadInput(t, "testdata/shared-socket.in.yaml")
	in.Binder = offsetBinder{"alpha": 10000, "beta": 20000, "gamma": 30000, "delta": 40000}
	snap, report := Compile(in)
	checkInvariants(t, snap, report)
	var keys []string
	for _, socket := range snap.Listeners {
		keys = append(keys, socket.Key())
	}
	want := []string{":10080", ":20080", ":28080", ":30080", ":40080"}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("sockets (-want +got):\n%s", diff)
	}
	for _, result := range report.Gateways {
		for _, l := range result.Listeners {
			if c := findCondition(l.Conditions, "Conflicted"); c.Status != metav1.ConditionFalse {
				t.Errorf("listener %s is %s: separate sockets cannot conflict", l.Name, c.Reason)
			}
		}
	}
}

// TestCompileControllerName: only GatewayClasses with the configured controller name
// are ours; the default is ControllerName.
func TestCompileControllerName(t *testing.T) {
	t.Parallel()
	in := loadInput(t, "testdata/basic.in.yaml")
	in.ControllerName = "example.com/other"
	snap, report := Compile(in)
	if len(snap.Listeners) != 0 || len(report.GatewayClasses) != 0 || len(report.Gateways) != 0 || len(report.HTTPRoutes) != 0 {
		t.Fatalf("another controller name must not claim the turnpike class: %d sockets, report %+v", len(snap.Listeners), report)
	}
	in.ControllerName = ""
	snap, report = Compile(in)
	if len(snap.Listeners) != 1 || len(report.HTTPRoutes) != 1 {
		t.Fatalf("the default controller name must claim the class: %d sockets, %d routes", len(snap.Listeners), len(report.HTTPRoutes))
	}
	if got := report.HTTPRoutes[snapKey("default", "web")].Parents[0].ControllerName; got != ControllerName {
		t.Errorf("route parent controllerName = %q, want %q", got, ControllerName)
	}
}
