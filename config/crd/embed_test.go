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
