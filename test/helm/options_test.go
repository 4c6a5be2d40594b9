package helm

import (
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
)

// TestOptionalObjects checks which objects each switch adds or removes.
func TestOptionalObjects(t *testing.T) {
	t.Parallel()
	always := []string{"ClusterRole", "ClusterRoleBinding", "Deployment", "Role", "RoleBinding"}
	tests := []struct {
		name string
		set  string
		want []string // kinds besides CRDs, sorted
	}{
		{name: "default", set: "replicaCount=2",
			want: append([]string{"GatewayClass", "PodDisruptionBudget", "ServiceAccount"}, always...)},
		{name: "one replica: no budget that would block a drain", set: "replicaCount=1",
			want: append([]string{"GatewayClass", "ServiceAccount"}, always...)},
		{name: "autoscaling", set: "replicaCount=1,autoscaling.enabled=true",
			want: append([]string{"GatewayClass", "HorizontalPodAutoscaler", "PodDisruptionBudget", "ServiceAccount"}, always...)},
		{name: "ServiceMonitor", set: "metrics.serviceMonitor.enabled=true",
			want: append([]string{"GatewayClass", "PodDisruptionBudget", "Service", "ServiceAccount", "ServiceMonitor"}, always...)},
		{name: "no GatewayClass", set: "gatewayClass.create=false",
			want: append([]string{"PodDisruptionBudget", "ServiceAccount"}, always...)},
		{name: "existing ServiceAccount, no RBAC", set: "serviceAccount.create=false,serviceAccount.name=mine,rbac.create=false",
			want: []string{"Deployment", "GatewayClass", "PodDisruptionBudget"}},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			rendered, err := render(t, "--set", test.set)
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, object := range decodeManifests(t, rendered) {
				if object.kind != "CustomResourceDefinition" {
					kinds = append(kinds, object.kind)
				}
			}
			sort.Strings(kinds)
			want := append([]string(nil), test.want...)
			sort.Strings(want)
			if diff := cmp.Diff(want, kinds); diff != "" {
				t.Errorf("kinds rendered with --set %s (-want +got):\n%s", test.set, diff)
			}
		})
	}
}

func TestServiceAccountNameRequiredWhenNotCreated(t *testing.T) {
	t.Parallel()
	_, err := render(t, "--set", "serviceAccount.create=false")
	if err == nil || !strings.Contains(err.Error(), "serviceAccount.name is required when serviceAccount.create is false") {
		t.Errorf("helm template with serviceAccount.create=false and no name: %v, want the required-name error", err)
	}
}

func TestLeaderElectionOff(t *testing.T) {
	t.Parallel()
	rendered, err := render(t, "--set", "controller.leaderElection.enabled=false")
	if err != nil {
		t.Fatal(err)
	}
	var deployment appsv1.Deployment
	findManifest(t, decodeManifests(t, rendered), "Deployment", "", &deployment)
	args := deployment.Spec.Template.Spec.Containers[0].Args
	if !contains(args, "--leader-elect=false") {
		t.Errorf("args %q lack --leader-elect=false", args)
	}
	for _, arg := range args {
		if strings.HasPrefix(arg, "--leader-election-id") {
			t.Errorf("args %q name a Lease with leader election off", args)
		}
	}
}
