package standalone

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/google/go-cmp/cmp"

	"github.com/turnpike-gateway/turnpike/controllers/compiler"
)

// hangGuard bounds every wait in the watch tests. It only stops a broken test
// from hanging: on a healthy machine changes arrive far sooner.
const hangGuard = 10 * time.Second

type watchUpdate struct {
	input compiler.Input
	errs  []error
}

// startWatch runs Watch until the test ends and returns its updates.
func startWatch(t *testing.T, source *Source) <-chan watchUpdate {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	updates := make(chan watchUpdate)
	done := make(chan error, 1)
	go func() {
		done <- source.Watch(ctx, func(input compiler.Input, errs []error) {
			select {
			case updates <- watchUpdate{input, errs}:
			case <-ctx.Done():
			}
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Watch returned %v after cancel, want nil", err)
			}
		case <-time.After(hangGuard):
			t.Error("Watch did not return after cancel")
		}
	})
	return updates
}

// waitFor consumes updates until one satisfies ok.
func waitFor(t *testing.T, updates <-chan watchUpdate, what string, ok func(watchUpdate) bool) watchUpdate {
	t.Helper()
	deadline := time.After(hangGuard)
	for {
		select {
		case update := <-updates:
			if ok(update) {
				return update
			}
		case <-deadline:
			t.Fatalf("no update with %s", what)
		}
	}
}

func servicePort(name string) func(watchUpdate) int32 {
	return func(update watchUpdate) int32 {
		for _, service := range update.input.Services {
			if service.Name == name {
				return service.Spec.Ports[0].Port
			}
		}
		return 0
	}
}

func hasObject(name string) func(watchUpdate) bool {
	return func(update watchUpdate) bool {
		return slices.Contains(objectNames(update.input), name)
	}
}

// TestWatchPicksUpChanges runs with the periodic rescan out of the way, so every
// change must arrive through file events.
func TestWatchPicksUpChanges(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, "web.yaml", serviceYAML("web", 80, ""))
	source := newTestSource(dir, testEpoch)
	source.rescanInterval = time.Hour
	updates := startWatch(t, source)
	webPort := servicePort("web")

	// No Reload before Watch: the first load is reported.
	waitFor(t, updates, "the initial load", func(u watchUpdate) bool { return webPort(u) == 80 })

	steps := []struct {
		name   string
		change func(t *testing.T)
		want   func(watchUpdate) bool
	}{
		{"edit in place", func(t *testing.T) {
			writeFile(t, dir, "web.yaml", serviceYAML("web", 81, ""))
		}, func(u watchUpdate) bool { return webPort(u) == 81 }},
		{"save by rename, as vim and most editors do", func(t *testing.T) {
			writeFile(t, dir, ".web.yaml.swp", serviceYAML("web", 82, ""))
			if err := os.Rename(filepath.Join(dir, ".web.yaml.swp"), filepath.Join(dir, "web.yaml")); err != nil {
				t.Fatal(err)
			}
		}, func(u watchUpdate) bool { return webPort(u) == 82 }},
		{"new file", func(t *testing.T) {
			writeFile(t, dir, "api.yaml", serviceYAML("api", 80, ""))
		}, hasObject("Service default/api")},
		{"new subdirectory", func(t *testing.T) {
			writeFile(t, dir, "team/a/db.yaml", serviceYAML("db", 80, ""))
		}, hasObject("Service default/db")},
		{"edit in the new subdirectory", func(t *testing.T) {
			writeFile(t, dir, "team/a/db.yaml", serviceYAML("db", 81, ""))
		}, func(u watchUpdate) bool { return servicePort("db")(u) == 81 }},
		{"broken edit reports an error and keeps the object", func(t *testing.T) {
			writeFile(t, dir, "api.yaml", "kind: [")
		}, func(u watchUpdate) bool { return len(u.errs) == 1 && hasObject("Service default/api")(u) }},
		{"deleted file", func(t *testing.T) {
			if err := os.Remove(filepath.Join(dir, "api.yaml")); err != nil {
				t.Fatal(err)
			}
		}, func(u watchUpdate) bool { return len(u.errs) == 0 && !hasObject("Service default/api")(u) }},
	}
	for _, step := range steps {
		step.change(t)
		waitFor(t, updates, step.name, step.want)
	}
}

func TestWatchFollowsConfigMapSwap(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, "..2026_01/web.yaml", serviceYAML("web", 80, ""))
	mustSymlink(t, "..2026_01", filepath.Join(dir, "..data"))
	mustSymlink(t, "..data/web.yaml", filepath.Join(dir, "web.yaml"))
	source := newTestSource(dir, testEpoch)
	source.rescanInterval = time.Hour
	if _, errs := source.Reload(); len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	updates := startWatch(t, source)

	swapConfigMapData(t, dir, "..2026_02", "..2026_01", "web.yaml", serviceYAML("web", 81, ""))
	waitFor(t, updates, "the swapped port", func(u watchUpdate) bool { return servicePort("web")(u) == 81 })
}

// TestWatchReportsOnlyContentChanges rewrites a file with the same bytes, then
// changes it: the first update must be the change. (A spurious update would come
// first; if the machine is too slow for one to happen, the test still passes.)
func TestWatchReportsOnlyContentChanges(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, "web.yaml", serviceYAML("web", 80, ""))
	source := newTestSource(dir, testEpoch)
	source.rescanInterval = 20 * time.Millisecond
	if _, errs := source.Reload(); len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	updates := startWatch(t, source)

	writeFile(t, dir, "web.yaml", serviceYAML("web", 80, ""))
	now := time.Now()
	if err := os.Chtimes(filepath.Join(dir, "web.yaml"), now, now); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // room for a wrong update; not a pass condition
	writeFile(t, dir, "web.yaml", serviceYAML("web", 81, ""))

	select {
	case update := <-updates:
		if got := servicePort("web")(update); got != 81 {
			t.Errorf("first update has port %d, want only the real change (81)", got)
		}
	case <-time.After(hangGuard):
		t.Fatal("no update after the change")
	}
}

// TestWatchLoadsAChangeOnlyOnceTwoScansAgree drives the checks by hand, as the
// debounce timer and the rescan ticker would.
func TestWatchLoadsAChangeOnlyOnceTwoScansAgree(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, "web.yaml", serviceYAML("web", 80, ""))
	source := newTestSource(dir, testEpoch)
	if _, errs := source.Reload(); len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	watcher, err := fsnotify.NewWatcher()
	if err != nil {
		t.Fatal(err)
	}
	defer watcher.Close()
	var loadedPorts []int32
	loop := &watchLoop{source: source, watcher: watcher, debounce: newStoppedTimer(),
		onChange: func(input compiler.Input, _ []error) {
			loadedPorts = append(loadedPorts, servicePort("web")(watchUpdate{input: input}))
		}}
	defer loop.debounce.Stop()

	steps := []struct {
		name    string
		content string
		want    []int32 // ports loaded so far
	}{
		{"unchanged", serviceYAML("web", 80, ""), nil},
		{"truncated by a writer: seen once", "", nil},
		{"written in full: differs from the last scan", serviceYAML("web", 81, ""), nil},
		{"the same again: loaded", serviceYAML("web", 81, ""), []int32{81}},
		{"unchanged since the load", serviceYAML("web", 81, ""), []int32{81}},
	}
	for _, step := range steps {
		writeFile(t, dir, "web.yaml", step.content)
		loop.check()
		if diff := cmp.Diff(step.want, loadedPorts); diff != "" {
			t.Errorf("%s: loaded ports (-want +got):\n%s", step.name, diff)
		}
	}
}
