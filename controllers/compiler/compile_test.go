package compiler

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	tpv1a1 "github.com/turnpike-gateway/turnpike/api/v1alpha1"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

var update = flag.Bool("update", false, "rewrite testdata/*.out.yaml from the compiler's output")

// testConfig is an extra document a case may hold (kind: TestConfig) to set the
// Input fields that are not Kubernetes objects.
type testConfig struct {
	Kind             string   `json:"kind"`
	ControllerName   string   `json:"controllerName,omitempty"`
	PublishAddresses []string `json:"publishAddresses,omitempty"`
	// ServicePorts selects the ServiceBinder (per-Gateway Services) with this
	// container port range, "FIRST-LAST".
	ServicePorts string `json:"servicePorts,omitempty"`
}

// loadInput reads a multi-document YAML file of Kubernetes objects into an Input.
// Decoding is strict so that a typo in a case fails loudly instead of being ignored.
func loadInput(t testing.TB, path string) Input {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	var in Input
	for i, doc := range splitDocuments(data) {
		var meta struct {
			Kind string `json:"kind"`
		}
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			t.Fatalf("%s document %d: %v", path, i, err)
		}
		var decodeErr error
		decode := func(into any) { decodeErr = yaml.UnmarshalStrict(doc, into) }
		switch meta.Kind {
		case "GatewayClass":
			obj := &gwapiv1.GatewayClass{}
			decode(obj)
			in.GatewayClasses = append(in.GatewayClasses, obj)
		case "Gateway":
			obj := &gwapiv1.Gateway{}
			decode(obj)
			in.Gateways = append(in.Gateways, obj)
		case "HTTPRoute":
			obj := &gwapiv1.HTTPRoute{}
			decode(obj)
			in.HTTPRoutes = append(in.HTTPRoutes, obj)
		case "ReferenceGrant":
			obj := &gwapiv1.ReferenceGrant{}
			decode(obj)
			in.ReferenceGrants = append(in.ReferenceGrants, obj)
		case "Service":
			obj := &corev1.Service{}
			decode(obj)
			in.Services = append(in.Services, obj)
		case "EndpointSlice":
			obj := &discoveryv1.EndpointSlice{}
			decode(obj)
			in.EndpointSlices = append(in.EndpointSlices, obj)
		case "Secret":
			obj := &corev1.Secret{}
			decode(obj)
			in.Secrets = append(in.Secrets, obj)
		case "Namespace":
			obj := &corev1.Namespace{}
			decode(obj)
			in.Namespaces = append(in.Namespaces, obj)
		case "ConfigMap":
			obj := &corev1.ConfigMap{}
			decode(obj)
			in.ConfigMaps = append(in.ConfigMaps, obj)
		case "RateLimitPolicy":
			obj := &tpv1a1.RateLimitPolicy{}
			decode(obj)
			in.RateLimitPolicies = append(in.RateLimitPolicies, obj)
		case "AuthPolicy":
			obj := &tpv1a1.AuthPolicy{}
			decode(obj)
			in.AuthPolicies = append(in.AuthPolicies, obj)
		case "TestConfig":
			var config testConfig
			decode(&config)
			in.ControllerName = gwapiv1.GatewayController(config.ControllerName)
			if config.PublishAddresses != nil {
				in.Binder = ListenerPortBinder{PublishAddresses: config.PublishAddresses}
			}
			if config.ServicePorts != "" {
				ports, err := ParsePortRange(config.ServicePorts)
				if err != nil {
					t.Fatalf("%s: servicePorts: %v", path, err)
				}
				in.Binder = ServiceBinder{Ports: ports}
			}
		default:
			t.Fatalf("%s document %d: unknown kind %q", path, i, meta.Kind)
		}
		if decodeErr != nil {
			t.Fatalf("%s document %d (%s): %v", path, i, meta.Kind, decodeErr)
		}
	}
	return in
}

func splitDocuments(data []byte) [][]byte {
	var docs [][]byte
	for _, doc := range bytes.Split(data, []byte("\n---")) {
		if len(bytes.TrimSpace(stripComments(doc))) > 0 {
			docs = append(docs, doc)
		}
	}
	return docs
}

func stripComments(doc []byte) []byte {
	var out []byte
	for _, line := range bytes.Split(doc, []byte("\n")) {
		if !bytes.HasPrefix(bytes.TrimSpace(line), []byte("#")) {
			out = append(append(out, line...), '\n')
		}
	}
	return out
}

// goldenOutput is what a golden file holds: the snapshot and the report. Report maps
// are keyed by "namespace/name" strings because JSON (and so YAML) cannot use
// types.NamespacedName as a key; encoding/json sorts map keys, so the file is stable.
type goldenOutput struct {
	Snapshot *snapshot.Snapshot `json:"snapshot"`
	Report   goldenReport       `json:"report"`
}

type goldenReport struct {
	GatewayClasses map[string]*GatewayClassResult `json:"gatewayClasses,omitempty"`
	Gateways       map[string]*GatewayResult      `json:"gateways,omitempty"`
	HTTPRoutes     map[string]*HTTPRouteResult    `json:"httpRoutes,omitempty"`

	RateLimitPolicies map[string]*PolicyResult `json:"rateLimitPolicies,omitempty"`
	AuthPolicies      map[string]*PolicyResult `json:"authPolicies,omitempty"`
}

func renderOutput(t testing.TB, snap *snapshot.Snapshot, report Report) []byte {
	t.Helper()
	out := goldenOutput{Snapshot: snap, Report: goldenReport{
		GatewayClasses: report.GatewayClasses,
		Gateways:       map[string]*GatewayResult{},
		HTTPRoutes:     map[string]*HTTPRouteResult{},
	}}
	for key, result := range report.Gateways {
		out.Report.Gateways[key.String()] = result
	}
	for key, result := range report.HTTPRoutes {
		out.Report.HTTPRoutes[key.String()] = result
	}
	if len(report.RateLimitPolicies) > 0 {
		out.Report.RateLimitPolicies = map[string]*PolicyResult{}
		for key, result := range report.RateLimitPolicies {
			out.Report.RateLimitPolicies[key.String()] = result
		}
	}
	if len(report.AuthPolicies) > 0 {
		out.Report.AuthPolicies = map[string]*PolicyResult{}
		for key, result := range report.AuthPolicies {
			out.Report.AuthPolicies[key.String()] = result
		}
	}
	data, err := yaml.Marshal(out)
	if err != nil {
		t.Fatalf("marshal output: %v", err)
	}
	return data
}

func goldenCases(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "*.in.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no testdata/*.in.yaml cases found")
	}
	return paths
}

func caseName(path string) string { return strings.TrimSuffix(filepath.Base(path), ".in.yaml") }

// TestCompileGolden compiles every testdata/<case>.in.yaml and compares the snapshot
// and the report with testdata/<case>.out.yaml. Run with -update to rewrite the
// expected files, then read the diff: a golden file that encodes a bug is worse than
// none.
func TestCompileGolden(t *testing.T) {
	t.Parallel()
	for _, path := range goldenCases(t) {
		t.Run(caseName(path), func(t *testing.T) {
			t.Parallel()
			in := loadInput(t, path)
			snap, report := Compile(in)
			checkInvariants(t, snap, report)
			got := renderOutput(t, snap, report)
			goldenPath := strings.TrimSuffix(path, ".in.yaml") + ".out.yaml"
			if *update {
				if err := os.WriteFile(goldenPath, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(goldenPath)
			if err != nil {
				t.Fatalf("read golden file (run with -update to create it): %v", err)
			}
			if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(string(got), "\n")); diff != "" {
				t.Errorf("output differs from %s (-want +got):\n%s", goldenPath, diff)
			}
		})
	}
}
