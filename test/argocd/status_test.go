package argocd

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/turnpike-gateway/turnpike/controllers/compiler"
)

// TestTurnpikeStatusCarriesObservedGeneration checks the promise the health checks
// rely on: every condition Turnpike writes says which generation it describes, and
// after a compile that is the object's own generation. Entries of other controllers
// are not Turnpike's and are not checked.
func TestTurnpikeStatusCarriesObservedGeneration(t *testing.T) {
	t.Parallel()
	objects, err := writtenStatus()
	if err != nil {
		t.Fatal(err)
	}
	ours := string(compiler.ControllerName)
	checked := 0
	for key, obj := range objects {
		generation, _ := obj["metadata"].(map[string]any)["generation"].(int64)
		status, _ := obj["status"].(map[string]any)
		var conditionLists [][]any
		add := func(holder map[string]any) {
			if conditions, ok := holder["conditions"].([]any); ok {
				conditionLists = append(conditionLists, conditions)
			}
		}
		switch obj["kind"] {
		case "GatewayClass", "Gateway":
			add(status)
			for _, listener := range asList(status["listeners"]) {
				add(listener)
			}
		case "HTTPRoute":
			for _, parent := range asList(status["parents"]) {
				if parent["controllerName"] == ours {
					add(parent)
				}
			}
		case "RateLimitPolicy", "AuthPolicy":
			if observed, _ := status["observedGeneration"].(int64); observed != generation {
				t.Errorf("%s: status.observedGeneration %d, want %d", key, observed, generation)
			}
			add(status)
			for _, ancestor := range asList(status["ancestors"]) {
				if ancestor["controllerName"] == ours {
					add(ancestor)
				}
			}
		}
		for _, conditions := range conditionLists {
			for _, c := range conditions {
				condition := c.(map[string]any)
				checked++
				if observed, _ := condition["observedGeneration"].(int64); observed != generation {
					t.Errorf("%s: condition %s has observedGeneration %d, want %d", key, condition["type"], observed, generation)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no condition written by Turnpike was found")
	}
}

func asList(value any) []map[string]any {
	items, _ := value.([]any)
	out := make([]map[string]any, 0, len(items))
	for _, item := range items {
		if m, ok := item.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// TestStatusWriterChangesOnlyStatus checks that merging a report leaves everything
// but status as it was: Turnpike never writes the fields Git owns, so Argo CD's
// self-heal and Turnpike have nothing to fight over.
func TestStatusWriterChangesOnlyStatus(t *testing.T) {
	t.Parallel()
	c, err := loadCluster(clusterPath)
	if err != nil {
		t.Fatal(err)
	}
	before, err := byKindAndName(c.objects)
	if err != nil {
		t.Fatal(err)
	}
	after, err := writtenStatus()
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Fatalf("%d objects after the status merge, want %d", len(after), len(before))
	}
	changed := 0
	for key, original := range before {
		written := runtime.DeepCopyJSON(after[key])
		original = runtime.DeepCopyJSON(original)
		if !cmp.Equal(original["status"], written["status"]) {
			changed++
		}
		delete(original, "status")
		delete(written, "status")
		if diff := cmp.Diff(original, written); diff != "" {
			t.Errorf("%s changed outside status (-before +after):\n%s", key, diff)
		}
	}
	if changed == 0 {
		t.Fatal("the status merge changed no object's status")
	}
}
