package crd

import (
	"io/fs"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwapiconsts "sigs.k8s.io/gateway-api/pkg/consts"
	"sigs.k8s.io/yaml"
)

func readGatewayAPICRDs(t *testing.T) map[string]*apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	names, err := fs.Glob(GatewayAPI, "gateway-api/*.yaml")
	if err != nil {
		t.Fatalf("Glob: %v", err)
	}
	crds := make(map[string]*apiextensionsv1.CustomResourceDefinition, len(names))
	for _, name := range names {
		data, err := fs.ReadFile(GatewayAPI, name)
		if err != nil {
			t.Fatalf("ReadFile(%s): %v", name, err)
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.UnmarshalStrict(data, crd); err != nil {
			t.Fatalf("%s does not decode as a CustomResourceDefinition: %v", name, err)
		}
		crds[name] = crd
	}
	return crds
}

func TestGatewayAPICRDsCarryBundleVersionAndChannel(t *testing.T) {
	t.Parallel()
	crds := readGatewayAPICRDs(t)
	if len(crds) == 0 {
		t.Fatal("no CRDs embedded under gateway-api/")
	}
	for name, crd := range crds {
		if got := crd.Annotations[gwapiconsts.BundleVersionAnnotation]; got != GatewayAPIVersion {
			t.Errorf("%s: annotation %s = %q, want %q", name, gwapiconsts.BundleVersionAnnotation, got, GatewayAPIVersion)
		}
		if got := crd.Annotations[gwapiconsts.ChannelAnnotation]; got != GatewayAPIChannel {
			t.Errorf("%s: annotation %s = %q, want %q", name, gwapiconsts.ChannelAnnotation, got, GatewayAPIChannel)
		}
		if crd.Spec.Group != gwapiv1.GroupName {
			t.Errorf("%s: group %q, want %q", name, crd.Spec.Group, gwapiv1.GroupName)
		}
	}
}

func TestGatewayAPICRDsCoverServedKinds(t *testing.T) {
	t.Parallel()
	var kinds []string
	for _, crd := range readGatewayAPICRDs(t) {
		kinds = append(kinds, crd.Spec.Names.Kind)
	}
	slices.Sort(kinds)
	want := []string{"BackendTLSPolicy", "GRPCRoute", "Gateway", "GatewayClass", "HTTPRoute", "ListenerSet", "ReferenceGrant"}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("embedded CRD kinds (-want +got):\n%s", diff)
	}
}

// The schemas must describe the same release as the Go types we decode into, or a
// field could validate here and then be dropped (or rejected) by the typed decoder.
func TestGatewayAPIVersionMatchesGoModule(t *testing.T) {
	t.Parallel()
	if GatewayAPIVersion != gwapiconsts.BundleVersion {
		t.Errorf("go.mod has sigs.k8s.io/gateway-api %s, embedded CRDs are %s", gwapiconsts.BundleVersion, GatewayAPIVersion)
	}
}

// Turnpike's own CRDs carry what `kubectl get` and Gateway API tooling rely on: the
// inherited-policy label, a status subresource, and Accepted and Enforced printer
// columns shown without -o wide.
func TestTurnpikeCRDs(t *testing.T) {
	t.Parallel()
	names, err := fs.Glob(Turnpike, "bases/*.yaml")
	if err != nil || len(names) == 0 {
		t.Fatalf("Glob(bases/*.yaml) = %v, %v; want Turnpike's CRDs", names, err)
	}
	kinds := map[string]*apiextensionsv1.CustomResourceDefinition{}
	for _, name := range names {
		data, err := fs.ReadFile(Turnpike, name)
		if err != nil {
			t.Fatal(err)
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.UnmarshalStrict(data, crd); err != nil {
			t.Fatalf("%s does not decode as a CustomResourceDefinition: %v", name, err)
		}
		kinds[crd.Spec.Names.Kind] = crd
	}
	for kind, shortName := range map[string]string{"RateLimitPolicy": "rlp", "AuthPolicy": "ap"} {
		policy := kinds[kind]
		if policy == nil {
			t.Errorf("no %s CRD among %v", kind, names)
			continue
		}
		if policy.Spec.Group != "turnpike.dev" || !slices.Contains(policy.Spec.Names.ShortNames, shortName) {
			t.Errorf("%s: group %q, short names %v; want turnpike.dev and %s", kind, policy.Spec.Group, policy.Spec.Names.ShortNames, shortName)
		}
		if got := policy.Labels[gwapiv1.PolicyLabelKey]; got != "inherited" {
			t.Errorf("%s: label %s = %q, want inherited", kind, gwapiv1.PolicyLabelKey, got)
		}
		for _, version := range policy.Spec.Versions {
			if version.Subresources == nil || version.Subresources.Status == nil {
				t.Errorf("%s version %s has no status subresource", kind, version.Name)
			}
			columns := map[string]apiextensionsv1.CustomResourceColumnDefinition{}
			for _, column := range version.AdditionalPrinterColumns {
				columns[column.Name] = column
			}
			for name, path := range map[string]string{
				"Accepted": `.status.conditions[?(@.type=="Accepted")].status`,
				"Enforced": `.status.conditions[?(@.type=="Enforced")].status`,
				"Age":      ".metadata.creationTimestamp",
			} {
				if column, ok := columns[name]; !ok || column.JSONPath != path || column.Priority != 0 {
					t.Errorf("%s version %s: printer column %s = %+v, want %s at priority 0", kind, version.Name, name, column, path)
				}
			}
		}
	}
}
