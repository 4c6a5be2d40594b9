package standalone

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func routeYAML(name, pathType, path string) string {
	return fmt.Sprintf(`apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: %s
spec:
  parentRefs:
  - name: edge
  rules:
  - matches:
    - path:
        type: %s
        value: %s
`, name, pathType, path)
}

func serviceYAML(name string, port int, labels string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Service
metadata:
  name: %s
  labels: {%s}
spec:
  ports:
  - port: %d
`, name, labels, port)
}

func joinDocs(docs ...string) string { return strings.Join(docs, "---\n") }

func routePath(t *testing.T, route *gwapiv1.HTTPRoute) string {
	t.Helper()
	return *route.Spec.Rules[0].Matches[0].Path.Value
}

// reload reloads and fails the test unless the number of errors is wantErrs.
func reload(t *testing.T, source *Source, wantErrs int) []string {
	t.Helper()
	input, errs := source.Reload()
	if len(errs) != wantErrs {
		t.Fatalf("Reload returned %d errors, want %d: %v", len(errs), wantErrs, errs)
	}
	return objectNames(input)
}

func TestSourceKeepsLastGoodVersionOfInvalidObject(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	source := newTestSource(dir, testEpoch)
	writeFile(t, dir, "app.yaml", joinDocs(routeYAML("web", "PathPrefix", "/v1"), serviceYAML("web", 80, "")))
	first, _ := source.Reload()
	oldRoute := first.HTTPRoutes[0]

	// The route breaks, the Service changes: the Service moves on, the route stays.
	writeFile(t, dir, "app.yaml", joinDocs(routeYAML("web", "Foo", "/v2"), serviceYAML("web", 81, "")))
	second, errs := source.Reload()
	if len(errs) == 0 || !strings.Contains(errs[0].Error(), `app.yaml:11 (document 1, HTTPRoute default/web): spec.rules[0].matches[0].path.type: Unsupported value: "Foo"`) {
		t.Fatalf("errors = %v, want the route's path type rejected", errs)
	}
	if second.HTTPRoutes[0] != oldRoute {
		t.Errorf("route = %+v, want the last good version kept as is", second.HTTPRoutes[0].Spec)
	}
	if got := second.Services[0].Spec.Ports[0].Port; got != 81 {
		t.Errorf("Service port = %d, want the new valid version (81)", got)
	}

	// Fixed: the new version replaces the old, as a spec change.
	writeFile(t, dir, "app.yaml", joinDocs(routeYAML("web", "PathPrefix", "/v2"), serviceYAML("web", 81, "")))
	third, errs := source.Reload()
	if len(errs) != 0 {
		t.Fatalf("errors after the fix: %v", errs)
	}
	if got := routePath(t, third.HTTPRoutes[0]); got != "/v2" {
		t.Errorf("route path = %q, want /v2", got)
	}
	if got := third.HTTPRoutes[0].Generation; got != 2 {
		t.Errorf("route generation = %d, want 2", got)
	}
}

func TestSourceKeepsEverythingOfUnparseableFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	source := newTestSource(dir, testEpoch)
	writeFile(t, dir, "app.yaml", joinDocs(routeYAML("web", "PathPrefix", "/"), serviceYAML("web", 80, "")))
	writeFile(t, dir, "other.yaml", serviceYAML("other", 80, ""))
	want := reload(t, source, 0)

	writeFile(t, dir, "app.yaml", "apiVersion: v1\nkind: [Service\n") // half-typed
	got := reload(t, source, 1)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("objects after breaking app.yaml (-want +got):\n%s", diff)
	}
	// Keeping does not stick: a broken file is kept on every reload until fixed...
	got = reload(t, source, 1)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("objects on the second reload (-want +got):\n%s", diff)
	}
	// ...and removing the file removes its objects.
	if err := os.Remove(filepath.Join(dir, "app.yaml")); err != nil {
		t.Fatal(err)
	}
	got = reload(t, source, 0)
	if diff := cmp.Diff([]string{"Namespace default", "Service default/other"}, got); diff != "" {
		t.Errorf("objects after deleting app.yaml (-want +got):\n%s", diff)
	}
}

func TestSourceKeepsObjectsOfUnidentifiableDocument(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	source := newTestSource(dir, testEpoch)
	writeFile(t, dir, "app.yaml", joinDocs(serviceYAML("web", 80, ""), serviceYAML("api", 80, "")))
	want := reload(t, source, 0)

	// The second document loses its kind: it may still be the api Service.
	writeFile(t, dir, "app.yaml", joinDocs(serviceYAML("web", 81, ""), strings.Replace(serviceYAML("api", 80, ""), "kind: Service\n", "", 1)))
	got := reload(t, source, 1)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}

	// Once the file is clear again, what it no longer defines goes.
	writeFile(t, dir, "app.yaml", serviceYAML("web", 81, ""))
	got = reload(t, source, 0)
	if diff := cmp.Diff([]string{"Namespace default", "Service default/web"}, got); diff != "" {
		t.Errorf("objects after removing the document (-want +got):\n%s", diff)
	}
}

func TestSourceRemovesObjectsRemovedFromFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	source := newTestSource(dir, testEpoch)
	writeFile(t, dir, "a.yaml", joinDocs(serviceYAML("one", 80, ""), serviceYAML("two", 80, "")))
	writeFile(t, dir, "b/b.yaml", serviceYAML("three", 80, ""))
	reload(t, source, 0)

	writeFile(t, dir, "a.yaml", serviceYAML("one", 80, ""))
	if err := os.RemoveAll(filepath.Join(dir, "b")); err != nil {
		t.Fatal(err)
	}
	got := reload(t, source, 0)
	if diff := cmp.Diff([]string{"Namespace default", "Service default/one"}, got); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
}

func TestSourceTracksGenerationAndCreationTimestamp(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	source := newTestSource(dir, testEpoch)
	now := testEpoch
	source.now = func() time.Time { return now }

	type state struct {
		Generation      int64
		Created         time.Time
		ResourceVersion string
	}
	steps := []struct {
		name    string
		content string // "" deletes the file
		want    *state // nil: the Service is gone
		// samePointer: unchanged objects are shared between loads.
		samePointer bool
	}{
		{"created", serviceYAML("web", 80, ""), &state{1, testEpoch, "1"}, false},
		{"unchanged", serviceYAML("web", 80, ""), &state{1, testEpoch, "1"}, true},
		{"labels change metadata only", serviceYAML("web", 80, "team: a"), &state{1, testEpoch, "3"}, false},
		{"spec change bumps generation", serviceYAML("web", 81, "team: a"), &state{2, testEpoch, "4"}, false},
		{"another spec change", serviceYAML("web", 82, "team: a"), &state{3, testEpoch, "5"}, false},
		{"deleted", "", nil, false},
		{"created again", serviceYAML("web", 82, "team: a"), &state{1, testEpoch.Add(6 * time.Minute), "6"}, false},
	}
	var previous any
	for i, step := range steps {
		now = testEpoch.Add(time.Duration(i) * time.Minute)
		path := filepath.Join(dir, "web.yaml")
		if step.content == "" {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		} else {
			writeFile(t, dir, "web.yaml", step.content)
		}
		input, errs := source.Reload()
		if len(errs) != 0 {
			t.Fatalf("%s: errors %v", step.name, errs)
		}
		if step.want == nil {
			if len(input.Services) != 0 {
				t.Errorf("%s: Services = %v, want none", step.name, objectNames(input))
			}
			previous = nil
			continue
		}
		service := findService(t, input, "default", "web")
		got := &state{service.Generation, service.CreationTimestamp.Time.UTC(), service.ResourceVersion}
		if diff := cmp.Diff(step.want, got); diff != "" {
			t.Errorf("%s: (-want +got):\n%s", step.name, diff)
		}
		if same := any(service) == previous; same != step.samePointer {
			t.Errorf("%s: same object as before = %v, want %v", step.name, same, step.samePointer)
		}
		previous = service
	}
}

func TestSourceUIDsAreDerivedFromIdentity(t *testing.T) {
	t.Parallel()
	first, _ := Load("testdata/valid")
	second, _ := Load("testdata/valid")
	seen := map[string]string{}
	for i, service := range first.Services {
		if service.UID != second.Services[i].UID {
			t.Errorf("Service %s: uid %s then %s, want the same in every load", service.Name, service.UID, second.Services[i].UID)
		}
		if other, dup := seen[string(service.UID)]; dup {
			t.Errorf("Services %s and %s share uid %s", other, service.Name, service.UID)
		}
		seen[string(service.UID)] = service.Name
	}
}

func TestSourceFollowsConfigMapStyleSymlinks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	source := newTestSource(dir, testEpoch)
	// The layout of a ConfigMap volume: data in a hidden timestamped directory,
	// ..data pointing at it, and one visible link per key.
	writeFile(t, dir, "..2026_01/app.yaml", serviceYAML("web", 80, ""))
	mustSymlink(t, "..2026_01", filepath.Join(dir, "..data"))
	mustSymlink(t, "..data/app.yaml", filepath.Join(dir, "app.yaml"))
	input, _ := source.Reload()
	if got := findService(t, input, "default", "web").Spec.Ports[0].Port; got != 80 {
		t.Fatalf("port = %d, want 80", got)
	}

	swapConfigMapData(t, dir, "..2026_02", "..2026_01", "app.yaml", serviceYAML("web", 81, ""))
	input, errs := source.Reload()
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	if got := findService(t, input, "default", "web").Spec.Ports[0].Port; got != 81 {
		t.Errorf("port after the swap = %d, want 81", got)
	}
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// swapConfigMapData updates a ConfigMap-style directory the way the kubelet does:
// new data directory, new ..data link renamed over the old one, old data removed.
func swapConfigMapData(t *testing.T, dir, newData, oldData, file, content string) {
	t.Helper()
	writeFile(t, dir, newData+"/"+file, content)
	mustSymlink(t, newData, filepath.Join(dir, "..data_tmp"))
	if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, oldData)); err != nil {
		t.Fatal(err)
	}
}
