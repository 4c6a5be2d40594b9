package standalone

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	"github.com/turnpike-gateway/turnpike/controllers/compiler"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// testEpoch is the clock of tests that compare creation timestamps.
var testEpoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func newTestSource(dir string, now time.Time) *Source {
	source := NewSource(dir, logr.Discard())
	source.now = func() time.Time { return now }
	return source
}

func TestLoadValidDirectoryMatchesGolden(t *testing.T) {
	t.Parallel()
	input, errs := newTestSource("testdata/valid", testEpoch).Reload()
	for _, err := range errs {
		t.Errorf("unexpected error: %v", err)
	}
	got, err := yaml.Marshal(input)
	if err != nil {
		t.Fatalf("marshal input: %v", err)
	}
	golden := filepath.Join("testdata", "valid.golden.yaml")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatalf("write golden: %v", err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden (run with -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("input differs from %s (-want +got):\n%s", golden, diff)
	}
}

func TestLoadAppliesDefaultsAndServerFields(t *testing.T) {
	t.Parallel()
	input, errs := newTestSource("testdata/valid", testEpoch).Reload()
	if len(errs) > 0 {
		t.Fatalf("unexpected errors: %v", errs)
	}
	gateway := input.Gateways[0]
	route := input.HTTPRoutes[0]
	service := findService(t, input, "infra", "admin")
	prefix := gwapiv1.PathMatchPathPrefix
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"listener allowedRoutes default", gateway.Spec.Listeners[1].AllowedRoutes.Namespaces.From, ptr.To(gwapiv1.NamespacesFromSame)},
		{"listener allowedRoutes given", gateway.Spec.Listeners[0].AllowedRoutes.Namespaces.From, ptr.To(gwapiv1.NamespacesFromSelector)},
		{"gateway status dropped", gateway.Status.Conditions, []metav1.Condition(nil)},
		{"gateway generation reset", gateway.Generation, int64(1)},
		{"gateway uid derived", gateway.UID, uidFor(objectKey{GroupKind: gwapiv1.SchemeGroupVersion.WithKind("Gateway").GroupKind(), Namespace: "infra", Name: "edge"})},
		{"gateway creationTimestamp from clock", gateway.CreationTimestamp.Time, testEpoch},
		{"gateway resourceVersion replaced", gateway.ResourceVersion != "12345", true},
		{"route converted to v1", route.APIVersion, "gateway.networking.k8s.io/v1"},
		{"route match default", route.Spec.Rules[0].Matches, []gwapiv1.HTTPRouteMatch{{Path: &gwapiv1.HTTPPathMatch{Type: &prefix, Value: ptr.To("/")}}}},
		{"route weight default", route.Spec.Rules[0].BackendRefs[0].Weight, ptr.To[int32](1)},
		{"route weight given", route.Spec.Rules[1].BackendRefs[0].Weight, ptr.To[int32](3)},
		{"route backendRef kind default", route.Spec.Rules[0].BackendRefs[0].Kind, ptr.To(gwapiv1.Kind("Service"))},
		{"route parentRef group default", route.Spec.ParentRefs[0].Group, ptr.To(gwapiv1.Group(gwapiv1.GroupName))},
		{"service protocol default", service.Spec.Ports[0].Protocol, corev1.ProtocolTCP},
		{"service targetPort default", service.Spec.Ports[0].TargetPort, intstr.FromInt32(9000)},
		{"service type default", service.Spec.Type, corev1.ServiceTypeClusterIP},
		{"endpoint port protocol default", input.EndpointSlices[0].Ports[0].Protocol, ptr.To(corev1.ProtocolTCP)},
		{"secret stringData merged", string(input.Secrets[0].Data[corev1.TLSCertKey]), "not-a-real-certificate"},
		{"secret stringData cleared", input.Secrets[0].StringData, map[string]string(nil)},
		{"namespaces declared and implicit", namespaceNames(input), []string{"apps", "default", "infra"}},
		{"declared namespace labelled", input.Namespaces[0].Labels, map[string]string{"team": "web", corev1.LabelMetadataName: "apps"}},
		{"implicit namespace labelled", input.Namespaces[2].Labels, map[string]string{corev1.LabelMetadataName: "infra"}},
		{"controller name left to the caller", input.ControllerName, gwapiv1.GatewayController("")},
		{"binder left to the caller", input.Binder, compiler.Binder(nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// errorPlace is the part of an Error that tests compare exactly.
type errorPlace struct {
	File     string
	Line     int
	Document int
	Object   string
	Field    string
}

func placeOf(t *testing.T, err error) errorPlace {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is a %T, not an *Error", err, err)
	}
	return errorPlace{File: e.File, Line: e.Line, Document: e.Document, Object: e.Object, Field: e.Field}
}

func TestLoadReportsInvalidInput(t *testing.T) {
	t.Parallel()
	type wantError struct {
		place   errorPlace
		message string // a substring of Error()
	}
	tests := []struct {
		dir  string
		want []wantError
		// objects are what still loads, besides the implicit default Namespace.
		objects []string
	}{
		{"bad-yaml-syntax", []wantError{{errorPlace{"routes.yaml", 10, 2, "", ""}, "YAML syntax error: mapping values are not allowed"}}, nil},
		{"bad-separator", []wantError{{errorPlace{"routes.yaml", 5, 0, "", ""}, `invalid document separator "--- apiVersion: v1"`}}, nil},
		{"bad-json", []wantError{{errorPlace{"service.json", 4, 1, "", ""}, "JSON syntax error"}}, nil},
		{"not-an-object", []wantError{{errorPlace{"list.yaml", 1, 1, "", ""}, "must be an object"}}, nil},
		{"unknown-field", []wantError{{errorPlace{"routes.yaml", 8, 1, "HTTPRoute default/web", "spec.hostname"}, "unknown field"}}, nil},
		{"unknown-field-core", []wantError{{errorPlace{"service.yaml", 8, 1, "Service default/web", "spec.ports[0].targetport"}, "unknown field"}}, nil},
		{"duplicate-field", []wantError{{errorPlace{"routes.yaml", 11, 1, "HTTPRoute default/web", "spec.rules[0].backendRefs[0].port"}, "duplicate field"}}, nil},
		{"wrong-enum", []wantError{
			{errorPlace{"routes.yaml", 22, 2, "HTTPRoute default/web", "spec.rules[0].matches[0].path.type"},
				`Unsupported value: "Foo": supported values: "Exact", "PathPrefix", "RegularExpression"`},
			{errorPlace{"routes.yaml", 12, 2, "HTTPRoute default/web", ""}, "some validation rules were not checked"},
		}, []string{"Gateway default/edge"}},
		{"cel-path", []wantError{{errorPlace{"routes.yaml", 11, 1, "HTTPRoute apps/web", "spec.rules[0].matches[0].path"}, "value must be an absolute path and start with '/'"}}, nil},
		{"cel-listener-names", []wantError{
			{errorPlace{"gateway.yaml", 11, 1, "Gateway default/edge", "spec.listeners[1]"}, `Duplicate value: {"name":"http"}`},
			{errorPlace{"gateway.yaml", 7, 1, "Gateway default/edge", "spec.listeners"}, "Listener name must be unique within the Gateway"},
		}, nil},
		{"cel-ratelimitpolicy", []wantError{
			{errorPlace{"policy.yaml", 5, 1, "RateLimitPolicy default/both", "spec"}, "Overrides and implicit defaults are mutually exclusive"},
			{errorPlace{"policy.yaml", 35, 2, "RateLimitPolicy default/bad-window", "spec.limits.a.rates[0].window"}, `should match '^([0-9]{1,5}(h|m|s|ms)){1,4}$'`},
		}, nil},
		{"cel-authpolicy", []wantError{
			{errorPlace{"policy.yaml", 5, 1, "AuthPolicy default/both", "spec"}, "Implicit defaults and explicit overrides are mutually exclusive"},
			{errorPlace{"policy.yaml", 22, 2, "AuthPolicy default/when-only", "spec"}, "At least one spec.rules must be defined"},
			{errorPlace{"policy.yaml", 23, 2, "AuthPolicy default/when-only", "spec.targetRef"}, "The only supported values are 'HTTPRoute' and 'Gateway'"},
			{errorPlace{"policy.yaml", 44, 3, "AuthPolicy default/bad-operator", "spec.rules.authorization.admins.patternMatching.patterns[0].operator"},
				`Unsupported value: "startsWith": supported values: "eq", "neq", "incl", "excl", "matches"`},
			{errorPlace{"policy.yaml", 30, 3, "AuthPolicy default/bad-operator", ""}, "some validation rules were not checked"},
		}, nil},
		{"bad-endpoint-ip", []wantError{
			{errorPlace{"endpoints.yaml", 11, 1, "EndpointSlice default/web-1", "endpoints[0].addresses[1]"}, `"10.0.0.300": must be a valid IP address`},
			{errorPlace{"endpoints.yaml", 13, 1, "EndpointSlice default/web-1", "endpoints[1].addresses[0]"}, `"::1": must be an IPv4 address`},
		}, nil},
		{"endpointslice-without-service", []wantError{{errorPlace{"endpoints.yaml", 3, 1, "EndpointSlice default/web-1", "metadata.labels[kubernetes.io/service-name]"}, "Required value"}}, nil},
		{"bad-service-port", []wantError{
			{errorPlace{"service.yaml", 8, 1, "Service default/web", "spec.ports[0].port"}, "must be between 1 and 65535"},
			{errorPlace{"service.yaml", 9, 1, "Service default/web", "spec.ports[0].protocol"}, `Unsupported value: "QUIC"`},
			// Defaulted from port, as the API server does.
			{errorPlace{"service.yaml", 7, 1, "Service default/web", "spec.ports[0].targetPort"}, "must be between 1 and 65535"},
		}, nil},
		{"tls-secret-without-key", []wantError{{errorPlace{"secret.yaml", 6, 1, "Secret default/cert", "data[tls.key]"}, "required for a Secret of type kubernetes.io/tls"}}, nil},
		{"bad-secret-data", []wantError{{errorPlace{"secret.yaml", 7, 1, "Secret default/token", "data[bad]"}, "must be base64-encoded"}}, nil},
		{"bad-name", []wantError{{errorPlace{"namespace.yaml", 4, 1, "Namespace Apps_1", "metadata.name"}, "RFC 1123 label"}}, nil},
		{"missing-name", []wantError{{errorPlace{"routes.yaml", 3, 1, "HTTPRoute", "metadata.name"}, "Required value"}}, nil},
		{"unsupported-kind", []wantError{{errorPlace{"deployment.yaml", 1, 1, "", ""}, `no kind "Deployment" in version "apps/v1" is served`}}, nil},
		{"unserved-version", []wantError{{errorPlace{"routes.yaml", 1, 1, "", ""}, `version "gateway.networking.k8s.io/v1alpha2"`}}, nil},
		{"duplicate-object", []wantError{{errorPlace{"b/b.yaml", 6, 2, "Service default/web", ""},
			"Service default/web is already defined in a.yaml:1 (document 1); this definition is ignored"}},
			[]string{"Namespace apps", "Service default/web"}},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			t.Parallel()
			input, errs := Load(filepath.Join("testdata", "invalid", tt.dir))
			var gotPlaces, wantPlaces []errorPlace
			for _, err := range errs {
				gotPlaces = append(gotPlaces, placeOf(t, err))
			}
			for _, want := range tt.want {
				wantPlaces = append(wantPlaces, want.place)
			}
			if diff := cmp.Diff(wantPlaces, gotPlaces); diff != "" {
				t.Fatalf("error places (-want +got):\n%s\nerrors: %v", diff, errs)
			}
			for i, want := range tt.want {
				if !strings.Contains(errs[i].Error(), want.message) {
					t.Errorf("error %d = %q, want it to contain %q", i, errs[i], want.message)
				}
			}
			wantObjects := append([]string{"Namespace default"}, tt.objects...)
			if diff := cmp.Diff(sortedStrings(wantObjects), objectNames(input)); diff != "" {
				t.Errorf("objects loaded (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckReportsNothingForValidDirectory(t *testing.T) {
	t.Parallel()
	if errs := Check("testdata/valid"); len(errs) != 0 {
		t.Errorf("Check(testdata/valid) = %v, want no errors", errs)
	}
	if errs := Check("testdata/invalid/cel-path"); len(errs) != 1 {
		t.Errorf("Check(testdata/invalid/cel-path) = %v, want one error", errs)
	}
}

func TestLoadFailsOnMissingDirectory(t *testing.T) {
	t.Parallel()
	_, errs := Load(filepath.Join(t.TempDir(), "missing"))
	if len(errs) != 1 || !errors.Is(errs[0], os.ErrNotExist) {
		t.Errorf("Load(missing) errors = %v, want one wrapping os.ErrNotExist", errs)
	}
}

func TestCRDSchemasCoverServedKinds(t *testing.T) {
	t.Parallel()
	schemas, err := crdSchemas()
	if err != nil {
		t.Fatalf("crdSchemas: %v", err)
	}
	for gvk, rules := range servedKinds {
		if !rules.fromCRD {
			continue
		}
		if schemas[gvk] == nil {
			t.Errorf("%s: no schema", gvk)
			continue
		}
		// ReferenceGrant is the one served CRD without x-kubernetes-validations.
		if hasRules := schemas[gvk].celValidator != nil; hasRules != (gvk.Kind != "ReferenceGrant") {
			t.Errorf("%s: CEL validator present = %v", gvk, hasRules)
		}
	}
}

func TestLoadSkipsHiddenAndEditorFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, "web.yaml", serviceYAML("web", 80, ""))
	broken := "this: is: not: yaml: [\n"
	for _, name := range []string{
		".hidden.yaml", ".git/config.yaml", "web.yaml~", ".#web.yaml", "web.yaml.swp",
		"#web.yaml#", "notes.txt", "..2026_01/web.yaml",
	} {
		writeFile(t, dir, name, broken)
	}
	input, errs := Load(dir)
	if len(errs) != 0 {
		t.Errorf("errors: %v", errs)
	}
	if diff := cmp.Diff([]string{"Namespace default", "Service default/web"}, objectNames(input)); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
}
