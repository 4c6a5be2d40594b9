package argocd

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/turnpike-gateway/turnpike/controllers"
	"github.com/turnpike-gateway/turnpike/controllers/compiler"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

const (
	clusterPath = "testdata/cluster.in.yaml"
	samplesDir  = "testdata/samples"
)

// statusTime stamps every condition transition, so that samples are stable.
var statusTime = metav1.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// writtenStatus compiles testdata/cluster.in.yaml with the real compiler and
// returns every object Turnpike writes status on, with that status merged in by the
// status writer's own functions, as Argo CD reads it (unstructured), keyed by
// "Kind/name". Callers get the shared maps: copy before changing them.
var writtenStatus = sync.OnceValues(func() (map[string]map[string]any, error) {
	c, err := loadCluster(clusterPath)
	if err != nil {
		return nil, err
	}
	return byKindAndName(turnpikeWrites(c, statusTime, c.objects...))
})

// unbindableSocket is the socket of Gateway "unbindable" in testdata/cluster.in.yaml,
// which the data plane reports it could not bind, as when another process holds
// the port.
const unbindableSocket = ":8085"

// turnpikeWrites runs Turnpike's status path on c as the compile loop does
// (controllers/loop.go): compile, correct the report with what the data plane could
// not bind, and merge it into objs as the leader's status writer does, at now.
func turnpikeWrites(c cluster, now metav1.Time, objs ...client.Object) []client.Object {
	_, report := compiler.Compile(c.input)
	compiler.ApplyPublishResult(&report, snapshot.PublishResult{BindErrors: map[string]error{
		unbindableSocket: errors.New("listen tcp " + unbindableSocket + ": bind: address already in use"),
	}})
	return controllers.ApplyReport(&report, "", now, objs...)
}

func byKindAndName(objs []client.Object) (map[string]map[string]any, error) {
	out := map[string]map[string]any{}
	for _, obj := range objs {
		u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
		if err != nil {
			return nil, fmt.Errorf("convert %s: %w", obj.GetName(), err)
		}
		out[u["kind"].(string)+"/"+obj.GetName()] = u
	}
	return out, nil
}

// sampleOf returns a copy of the object Kind/name as Turnpike left it.
func sampleOf(t testing.TB, kindAndName string) map[string]any {
	t.Helper()
	objects, err := writtenStatus()
	if err != nil {
		t.Fatal(err)
	}
	obj, ok := objects[kindAndName]
	if !ok {
		t.Fatalf("%s is not in %s", kindAndName, clusterPath)
	}
	return runtime.DeepCopyJSON(obj)
}

// checkSample compares obj with testdata/samples/<name>.json, or writes it there
// with -update, so that the objects the health checks are tested on stay readable
// and a change in what Turnpike writes shows up in review.
func checkSample(t testing.TB, name string, obj map[string]any) {
	t.Helper()
	got, err := json.MarshalIndent(obj, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join(samplesDir, name+".json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read sample (run with -update to create it): %v", err)
	}
	if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(string(got), "\n")); diff != "" {
		t.Errorf("%s is stale; run with -update and review the diff (-want +got):\n%s", path, diff)
	}
}

// setPath sets a field of an unstructured object, creating maps on the way.
func setPath(obj map[string]any, value any, path ...string) {
	for _, field := range path[:len(path)-1] {
		next, ok := obj[field].(map[string]any)
		if !ok {
			next = map[string]any{}
			obj[field] = next
		}
		obj = next
	}
	obj[path[len(path)-1]] = value
}

// conditionsAt returns the conditions under path (for example "status",
// "conditions"), failing the test when there are none.
func conditionsAt(t testing.TB, obj map[string]any, path ...string) []any {
	t.Helper()
	var current any = obj
	for _, field := range path {
		m, ok := current.(map[string]any)
		if !ok {
			t.Fatalf("%s: no %s", obj["kind"], strings.Join(path, "."))
		}
		current = m[field]
	}
	conditions, ok := current.([]any)
	if !ok || len(conditions) == 0 {
		t.Fatalf("%s: no conditions at %s", obj["kind"], strings.Join(path, "."))
	}
	return conditions
}

// setCondition changes the condition of the given type in conditions.
func setCondition(t testing.TB, conditions []any, conditionType, status, reason, message string) {
	t.Helper()
	for _, c := range conditions {
		condition := c.(map[string]any)
		if condition["type"] == conditionType {
			condition["status"], condition["reason"], condition["message"] = status, reason, message
			return
		}
	}
	t.Fatalf("no %s condition to change", conditionType)
}

// listenerNamed returns the status of a Gateway's listener.
func listenerNamed(t testing.TB, gateway map[string]any, name string) map[string]any {
	t.Helper()
	status, _ := gateway["status"].(map[string]any)
	for _, l := range asList(status["listeners"]) {
		if l["name"] == name {
			return l
		}
	}
	t.Fatalf("Gateway has no listener %q in its status", name)
	return nil
}
