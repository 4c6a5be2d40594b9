package compiler

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// conditionSummary is what these tests compare: type, status and reason.
type conditionSummary struct{ Type, Status, Reason string }

func programmedOf(t *testing.T, conditions []metav1.Condition) conditionSummary {
	t.Helper()
	c := findCondition(conditions, "Programmed")
	if c == nil {
		t.Fatal("no Programmed condition")
	}
	return conditionSummary{c.Type, string(c.Status), c.Reason}
}

func TestApplyPublishResult(t *testing.T) {
	t.Parallel()
	errInUse := errors.New("bind: address already in use")
	programmed := conditionSummary{"Programmed", "True", "Programmed"}
	listenerFailed := conditionSummary{"Programmed", "False", "Invalid"}

	tests := []struct {
		name       string
		gateway    types.NamespacedName
		bindErrors map[string]error
		// The Programmed condition wanted on the Gateway and on each listener.
		wantGateway   conditionSummary
		wantListeners map[gwapiv1.SectionName]conditionSummary
	}{
		{
			name:          "no errors changes nothing",
			gateway:       types.NamespacedName{Namespace: "team-a", Name: "alpha"},
			bindErrors:    nil,
			wantGateway:   programmed,
			wantListeners: map[gwapiv1.SectionName]conditionSummary{"api": programmed, "any": programmed},
		},
		{
			name:          "a failed socket fails every listener on it, on every Gateway",
			gateway:       types.NamespacedName{Namespace: "team-b", Name: "beta"},
			bindErrors:    map[string]error{":80": errInUse},
			wantGateway:   programmed, // admin on :8080 still serves
			wantListeners: map[gwapiv1.SectionName]conditionSummary{"wildcard": listenerFailed, "admin": programmed},
		},
		{
			name:          "a Gateway with no listener left on every interface is Invalid",
			gateway:       types.NamespacedName{Namespace: "team-a", Name: "alpha"},
			bindErrors:    map[string]error{":80": errInUse},
			wantGateway:   conditionSummary{"Programmed", "False", "Invalid"},
			wantListeners: map[gwapiv1.SectionName]conditionSummary{"api": listenerFailed, "any": listenerFailed},
		},
		{
			name:          "errors on sockets a Gateway does not use leave it alone",
			gateway:       types.NamespacedName{Namespace: "team-a", Name: "alpha"},
			bindErrors:    map[string]error{":8080": errInUse},
			wantGateway:   programmed,
			wantListeners: map[gwapiv1.SectionName]conditionSummary{"api": programmed, "any": programmed},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, report := Compile(loadInput(t, "testdata/shared-socket.in.yaml"))
			ApplyPublishResult(&report, snapshot.PublishResult{BindErrors: tt.bindErrors})
			result := report.Gateways[tt.gateway]
			if got := programmedOf(t, result.Conditions); got != tt.wantGateway {
				t.Errorf("gateway Programmed = %+v, want %+v", got, tt.wantGateway)
			}
			got := map[gwapiv1.SectionName]conditionSummary{}
			for _, l := range result.Listeners {
				got[l.Name] = programmedOf(t, l.Conditions)
			}
			if diff := cmp.Diff(tt.wantListeners, got); diff != "" {
				t.Errorf("listener Programmed (-want +got):\n%s", diff)
			}
			checkConditions(t, "gateway", result.Generation, result.Conditions)
			for _, l := range result.Listeners {
				checkConditions(t, "listener "+string(l.Name), result.Generation, l.Conditions)
			}
		})
	}
}

// TestApplyPublishResultSpecificAddress: when a Gateway's own IP cannot be bound, the
// Gateway's address is what is unusable.
func TestApplyPublishResultSpecificAddress(t *testing.T) {
	t.Parallel()
	_, report := Compile(loadInput(t, "testdata/addresses.in.yaml"))
	key := types.NamespacedName{Namespace: "default", Name: "ipv4"}
	if len(report.Gateways[key].Addresses) == 0 {
		t.Fatal("precondition: the ipv4 Gateway publishes its address")
	}
	ApplyPublishResult(&report, snapshot.PublishResult{BindErrors: map[string]error{
		"192.0.2.10:8000": errors.New("bind: cannot assign requested address"),
	}})
	result := report.Gateways[key]
	want := conditionSummary{"Programmed", "False", "AddressNotUsable"}
	if got := programmedOf(t, result.Conditions); got != want {
		t.Errorf("Programmed = %+v, want %+v", got, want)
	}
	if len(result.Addresses) != 0 {
		t.Errorf("addresses = %v, want none: nothing is bound", result.Addresses)
	}
	c := findCondition(result.Listeners[0].Conditions, "Programmed")
	if wantMessage := "Address 192.0.2.10:8000 cannot be bound: bind: cannot assign requested address."; c.Message != wantMessage {
		t.Errorf("listener message = %q, want %q", c.Message, wantMessage)
	}
	// Other Gateways keep their status.
	if got := programmedOf(t, report.Gateways[types.NamespacedName{Namespace: "default", Name: "ipv6"}].Conditions); got.Status != "True" {
		t.Errorf("ipv6 Gateway Programmed = %+v, want True", got)
	}
}

func TestApplyPublishResultNilReport(t *testing.T) {
	t.Parallel()
	ApplyPublishResult(nil, snapshot.PublishResult{BindErrors: map[string]error{":80": errors.New("x")}})
}
