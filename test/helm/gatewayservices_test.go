package helm

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/turnpike-gateway/turnpike/controllers/compiler"
)

// TestGatewayServicesFlags checks the flags the chart gives `turnpike serve` for
// per-Gateway Services, and that the pod selector it passes selects the chart's
// own pods: the Services' EndpointSlices list exactly those.
func TestGatewayServicesFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		set      []string
		want     []string
		wantNone []string
	}{
		{name: "default: per-Gateway Services",
			want:     []string{"--gateway-service-mode=perGateway", "--gateway-service-port-range=10000-19999"},
			wantNone: []string{"--gateway-service-mode=none"}},
		{name: "another range", set: []string{"--set", "gatewayServices.portRange=20000-20999"},
			want: []string{"--gateway-service-mode=perGateway", "--gateway-service-port-range=20000-20999"}},
		{name: "off", set: []string{"--set", "gatewayServices.enabled=false"},
			want:     []string{"--gateway-service-mode=none"},
			wantNone: []string{"--gateway-service-mode=perGateway", "--gateway-service-port-range=10000-19999"}},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			rendered, err := render(t, test.set...)
			if err != nil {
				t.Fatal(err)
			}
			var deployment appsv1.Deployment
			findManifest(t, decodeManifests(t, rendered), "Deployment", "", &deployment)
			args := deployment.Spec.Template.Spec.Containers[0].Args
			for _, arg := range test.want {
				if !contains(args, arg) {
					t.Errorf("args %q lack %q", args, arg)
				}
			}
			for _, arg := range test.wantNone {
				if contains(args, arg) {
					t.Errorf("args %q hold %q", args, arg)
				}
			}
			for _, arg := range args {
				value, found := strings.CutPrefix(arg, "--gateway-service-pod-selector=")
				if !found {
					continue
				}
				selector, err := labels.ConvertSelectorToLabelsMap(value)
				if err != nil {
					t.Fatalf("%s: %v", arg, err)
				}
				if !labels.SelectorFromSet(selector).Matches(labels.Set(deployment.Spec.Template.Labels)) {
					t.Errorf("%s does not select the chart's pods (labels %v)", arg, deployment.Spec.Template.Labels)
				}
			}
		})
	}
}

func TestGatewayServicesRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		set     string
		wantErr string
	}{
		{name: "the admin port inside the range", set: "admin.port=10500",
			wantErr: "gatewayServices.portRange 10000-19999 holds admin.port 10500"},
		{name: "publish addresses with per-Gateway Services", set: "controller.publishAddresses={203.0.113.1}",
			wantErr: "controller.publishAddresses cannot be combined with gatewayServices.enabled"},
		{name: "a range backwards", set: "gatewayServices.portRange=20000-10000",
			wantErr: "must lie within 1024-65535, first port first"},
		{name: "a range that is not one", set: "gatewayServices.portRange=10000",
			wantErr: "/gatewayServices/portRange"},
		{name: "an unknown Service type", set: "gatewayClass.serviceParameters.serviceType=ExternalName",
			wantErr: "/gatewayClass/serviceParameters/serviceType"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			out, err := render(t, "--set", test.set)
			if err == nil {
				t.Fatalf("helm template --set %s succeeded; want an error. Output:\n%s", test.set, out)
			}
			if !strings.Contains(err.Error(), test.wantErr) {
				t.Errorf("helm template --set %s: error does not say %q:\n%v", test.set, test.wantErr, err)
			}
		})
	}
}

// TestGatewayClassParameters renders serviceParameters and reads the ConfigMap
// back the way Turnpike does: the chart writes what the compiler accepts.
func TestGatewayClassParameters(t *testing.T) {
	t.Parallel()
	rendered, err := render(t, "--values", "testdata/custom.values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	objects := decodeManifests(t, rendered)
	var class gwapiv1.GatewayClass
	findManifest(t, objects, "GatewayClass", "", &class)
	var cm corev1.ConfigMap
	findManifest(t, objects, "ConfigMap", "", &cm)
	params, message, ok := compiler.ClassServiceParameters(&class, func(key types.NamespacedName) *corev1.ConfigMap {
		if key.Namespace == cm.Namespace && key.Name == cm.Name {
			return &cm
		}
		return nil
	})
	if !ok {
		t.Fatalf("Turnpike would not accept the chart's GatewayClass: %s", message)
	}
	want := compiler.ServiceParameters{
		Type:                  corev1.ServiceTypeLoadBalancer,
		Annotations:           map[string]string{"service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing"},
		Labels:                map[string]string{"exposure": "public"},
		ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyLocal,
		LoadBalancerClass:     "example.com/edge-lb",
	}
	if diff := cmp.Diff(want, params); diff != "" {
		t.Errorf("parameters (-want +got):\n%s", diff)
	}

	// Without serviceParameters the class names nothing and gets the defaults.
	rendered, err = render(t)
	if err != nil {
		t.Fatal(err)
	}
	var plain gwapiv1.GatewayClass
	findManifest(t, decodeManifests(t, rendered), "GatewayClass", "", &plain)
	if plain.Spec.ParametersRef != nil {
		t.Errorf("the default GatewayClass names parameters %+v; want none", plain.Spec.ParametersRef)
	}
}
