package helm

import (
	"bufio"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"
)

// manifest is one object of a rendering, kept as YAML so that a test decodes it into
// the typed struct it checks.
type manifest struct {
	kind, namespace, name string
	yaml                  []byte
}

// decodeManifests splits multi-document YAML into its objects.
func decodeManifests(t *testing.T, rendered string) []manifest {
	t.Helper()
	reader := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(rendered)))
	var objects []manifest
	for {
		document, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return objects
		}
		if err != nil {
			t.Fatal(err)
		}
		var object unstructured.Unstructured
		if err := yaml.Unmarshal(document, &object.Object); err != nil {
			t.Fatalf("rendered YAML does not parse: %v\n%s", err, document)
		}
		if object.Object == nil {
			continue // a document of comments only
		}
		objects = append(objects, manifest{object.GetKind(), object.GetNamespace(), object.GetName(), document})
	}
}

// findManifest decodes the one object of kind (and name, when not empty) into into.
func findManifest(t *testing.T, objects []manifest, kind, name string, into any) {
	t.Helper()
	var found []manifest
	for _, object := range objects {
		if object.kind == kind && (name == "" || object.name == name) {
			found = append(found, object)
		}
	}
	if len(found) != 1 {
		t.Fatalf("the rendering has %d %s objects named %q, want 1", len(found), kind, name)
	}
	if err := yaml.UnmarshalStrict(found[0].yaml, into); err != nil {
		t.Fatalf("decoding %s %s: %v", kind, found[0].name, err)
	}
}

// generatedRoles reads the ClusterRole and Role controller-gen generates into config/rbac.
func generatedRoles(t *testing.T) (rbacv1.ClusterRole, rbacv1.Role) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "config", "rbac", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	objects := decodeManifests(t, string(data))
	var clusterRole rbacv1.ClusterRole
	var role rbacv1.Role
	findManifest(t, objects, "ClusterRole", "", &clusterRole)
	findManifest(t, objects, "Role", "", &role)
	return clusterRole, role
}

// TestRBACIsTheGeneratedRBAC checks that the chart grants exactly the rules generated
// from controllers/rbac.go, the leader-election Role in the release namespace, and
// binds both to the pods' ServiceAccount.
func TestRBACIsTheGeneratedRBAC(t *testing.T) {
	t.Parallel()
	wantClusterRole, wantRole := generatedRoles(t)
	for _, namespace := range []string{releaseNamespace, "gateways"} {
		t.Run(namespace, func(t *testing.T) {
			t.Parallel()
			rendered := mustHelm(t, "template", releaseName, chartDir, "--namespace", namespace)
			objects := decodeManifests(t, rendered)
			var clusterRole rbacv1.ClusterRole
			var role rbacv1.Role
			var clusterBinding rbacv1.ClusterRoleBinding
			var binding rbacv1.RoleBinding
			var deployment appsv1.Deployment
			findManifest(t, objects, "ClusterRole", "", &clusterRole)
			findManifest(t, objects, "Role", "", &role)
			findManifest(t, objects, "ClusterRoleBinding", "", &clusterBinding)
			findManifest(t, objects, "RoleBinding", "", &binding)
			findManifest(t, objects, "Deployment", "", &deployment)
			if diff := cmp.Diff(wantClusterRole.Rules, clusterRole.Rules); diff != "" {
				t.Errorf("ClusterRole rules differ from config/rbac/role.yaml (-generated +chart); run hack/sync-chart.sh:\n%s", diff)
			}
			if diff := cmp.Diff(wantRole.Rules, role.Rules); diff != "" {
				t.Errorf("Role rules differ from config/rbac/role.yaml (-generated +chart); run hack/sync-chart.sh:\n%s", diff)
			}
			if role.Namespace != namespace || binding.Namespace != namespace {
				t.Errorf("Role in %q and RoleBinding in %q, want both in the release namespace %q", role.Namespace, binding.Namespace, namespace)
			}
			wantSubjects := []rbacv1.Subject{{Kind: "ServiceAccount", Name: deployment.Spec.Template.Spec.ServiceAccountName, Namespace: namespace}}
			if diff := cmp.Diff(wantSubjects, clusterBinding.Subjects); diff != "" {
				t.Errorf("ClusterRoleBinding subjects (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantSubjects, binding.Subjects); diff != "" {
				t.Errorf("RoleBinding subjects (-want +got):\n%s", diff)
			}
			if clusterBinding.RoleRef.Name != clusterRole.Name || binding.RoleRef.Name != role.Name {
				t.Errorf("bindings refer to %q and %q, want %q and %q", clusterBinding.RoleRef.Name, binding.RoleRef.Name, clusterRole.Name, role.Name)
			}
		})
	}
}

// TestChartFilesAreCurrent fails when the copies in charts/turnpike/files differ from
// the generated manifests they copy.
func TestChartFilesAreCurrent(t *testing.T) {
	t.Parallel()
	tests := []struct{ source, copy string }{
		{filepath.Join("config", "rbac"), filepath.Join("charts", "turnpike", "files", "rbac")},
		{filepath.Join("config", "crd", "bases"), filepath.Join("charts", "turnpike", "files", "crds")},
		{filepath.Join("config", "crd", "gateway-api"), filepath.Join("charts", "turnpike", "charts", "gateway-api-crds", "crds")},
	}
	for _, test := range tests {
		want := yamlFiles(t, test.source, test.source == filepath.Join("config", "rbac"))
		got := yamlFiles(t, test.copy, false)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s differs from %s (-generated +copy): run hack/sync-chart.sh (make manifests)\n%s", test.copy, test.source, diff)
		}
	}
}

// yamlFiles reads the YAML files of a directory under the repository root, without
// kustomization.yaml; roleOnly keeps only role.yaml (config/rbac also holds the
// hand-written bindings the chart templates itself).
func yamlFiles(t *testing.T, dir string, roleOnly bool) map[string]string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(repoRoot, dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, path := range paths {
		name := filepath.Base(path)
		if name == "kustomization.yaml" || (roleOnly && name != "role.yaml") {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = string(data)
	}
	if len(files) == 0 {
		t.Fatalf("no YAML files in %s", dir)
	}
	return files
}

// TestCRDs checks which CRDs each option ships and that they are the generated ones.
// Turnpike's are templates (upgraded by `helm upgrade`) and carry
// helm.sh/resource-policy: keep; the Gateway API's are in a subchart's crds/, which
// `helm template` shows with --include-crds and Helm never deletes.
func TestCRDs(t *testing.T) {
	t.Parallel()
	turnpikeCRDs := crdFiles(t, filepath.Join("config", "crd", "bases"))
	gatewayAPICRDs := crdFiles(t, filepath.Join("config", "crd", "gateway-api"))
	both := map[string]apiextensionsv1.CustomResourceDefinitionSpec{}
	for name, spec := range turnpikeCRDs {
		both[name] = spec
	}
	for name, spec := range gatewayAPICRDs {
		both[name] = spec
	}
	tests := []struct {
		name string
		set  string
		want map[string]apiextensionsv1.CustomResourceDefinitionSpec
	}{
		{name: "default: Turnpike's", set: "crds.install=true", want: turnpikeCRDs},
		{name: "none", set: "crds.install=false", want: map[string]apiextensionsv1.CustomResourceDefinitionSpec{}},
		{name: "Turnpike's and the Gateway API's", set: "gatewayAPI.installCRDs=true", want: both},
		{name: "the Gateway API's only", set: "crds.install=false,gatewayAPI.installCRDs=true", want: gatewayAPICRDs},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			rendered, err := render(t, "--include-crds", "--set", test.set)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]apiextensionsv1.CustomResourceDefinitionSpec{}
			for _, object := range decodeManifests(t, rendered) {
				if object.kind != "CustomResourceDefinition" {
					continue
				}
				var crd apiextensionsv1.CustomResourceDefinition
				if err := yaml.UnmarshalStrict(object.yaml, &crd); err != nil {
					t.Fatal(err)
				}
				_, ours := turnpikeCRDs[crd.Name]
				if policy := crd.Annotations["helm.sh/resource-policy"]; ours && policy != "keep" {
					t.Errorf("CRD %s has helm.sh/resource-policy %q, want keep", crd.Name, policy)
				}
				got[crd.Name] = crd.Spec
			}
			if diff := cmp.Diff(test.want, got); diff != "" {
				t.Errorf("CRDs (-generated +chart):\n%s", diff)
			}
		})
	}
}

func crdFiles(t *testing.T, dir string) map[string]apiextensionsv1.CustomResourceDefinitionSpec {
	t.Helper()
	specs := map[string]apiextensionsv1.CustomResourceDefinitionSpec{}
	for name, data := range yamlFiles(t, dir, false) {
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict([]byte(data), &crd); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		specs[crd.Name] = crd.Spec
	}
	return specs
}

// TestDeploymentDefaults checks what the default Deployment promises: two replicas,
// leader election with the Lease in the release namespace, probes on the admin port,
// the image of the chart's appVersion and the restricted security profile.
func TestDeploymentDefaults(t *testing.T) {
	t.Parallel()
	rendered, err := render(t)
	if err != nil {
		t.Fatal(err)
	}
	var deployment appsv1.Deployment
	findManifest(t, decodeManifests(t, rendered), "Deployment", "", &deployment)
	var chart struct {
		AppVersion string `json:"appVersion"`
	}
	chartYAML, err := os.ReadFile(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(chartYAML, &chart); err != nil {
		t.Fatal(err)
	}

	if got := ptr.Deref(deployment.Spec.Replicas, 0); got != 2 {
		t.Errorf("replicas %d, want 2", got)
	}
	pod := deployment.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	container := pod.Containers[0]
	if want := "ghcr.io/turnpike-gateway/turnpike:" + chart.AppVersion; container.Image != want {
		t.Errorf("image %q, want %q", container.Image, want)
	}
	for _, arg := range []string{"serve", "--leader-elect=true", "--admin-address=:9901"} {
		if !contains(container.Args, arg) {
			t.Errorf("args %q lack %q", container.Args, arg)
		}
	}
	wantEnv := []corev1.EnvVar{{Name: "POD_NAMESPACE", ValueFrom: &corev1.EnvVarSource{
		FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}}}
	if diff := cmp.Diff(wantEnv, container.Env); diff != "" {
		t.Errorf("env (-want +got):\n%s", diff)
	}
	for probe, want := range map[*corev1.Probe]string{container.ReadinessProbe: "/readyz", container.LivenessProbe: "/healthz"} {
		if probe == nil || probe.HTTPGet == nil || probe.HTTPGet.Path != want || probe.HTTPGet.Port.String() != "admin" {
			t.Errorf("probe %+v, want an HTTP GET of %s on the admin port", probe, want)
		}
	}
	wantSecurity := &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr.To(false),
		ReadOnlyRootFilesystem:   ptr.To(true),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
	if diff := cmp.Diff(wantSecurity, container.SecurityContext); diff != "" {
		t.Errorf("container securityContext (-want +got):\n%s", diff)
	}
	wantPodSecurity := &corev1.PodSecurityContext{
		RunAsNonRoot:   ptr.To(true),
		RunAsUser:      ptr.To[int64](65532),
		RunAsGroup:     ptr.To[int64](65532),
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
	if diff := cmp.Diff(wantPodSecurity, pod.SecurityContext); diff != "" {
		t.Errorf("pod securityContext (-want +got):\n%s", diff)
	}
	var keys []string
	for _, constraint := range pod.TopologySpreadConstraints {
		keys = append(keys, constraint.TopologyKey)
	}
	sort.Strings(keys)
	if diff := cmp.Diff([]string{"kubernetes.io/hostname", "topology.kubernetes.io/zone"}, keys); diff != "" {
		t.Errorf("topology spread keys (-want +got):\n%s", diff)
	}
}

func contains(list []string, want string) bool {
	for _, item := range list {
		if item == want {
			return true
		}
	}
	return false
}
