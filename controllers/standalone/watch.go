package standalone

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/turnpike-gateway/turnpike/controllers/compiler"
)

// Watch reloads the directory whenever its content changes, until ctx is done, and
// calls onChange with the new state each time. It returns nil when ctx is done.
//
// Changes are noticed through fsnotify on every directory of the tree (new
// subdirectories are added as they appear; events on a directory also cover editors
// that save by renaming a temporary file and ConfigMap volumes that swap a symbolic
// link), and by a periodic rescan that backs the events up. A change is loaded once
// two scans a debounce interval apart agree on it, so one save is one reload and a
// file caught halfway through a write (truncated, partly written) is not loaded
// unless it stays that way: it would make objects vanish and come back with a new
// creationTimestamp.
//
// onChange is called only when some file's content differs from the last load, so a
// Reload just before Watch means no call until something changes; without one,
// Watch calls onChange for the first load. onChange runs on Watch's goroutine.
func (s *Source) Watch(ctx context.Context, onChange func(compiler.Input, []error)) error {
	watcher, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("creating the file watcher: %w", err)
	}
	defer watcher.Close()
	root, err := filepath.EvalSymlinks(s.dir)
	if err != nil {
		return fmt.Errorf("watching config directory: %w", err)
	}
	if err := watcher.Add(root); err != nil {
		return fmt.Errorf("watching config directory %s: %w", s.dir, err)
	}

	loop := &watchLoop{source: s, watcher: watcher, onChange: onChange, debounce: newStoppedTimer()}
	defer loop.debounce.Stop()
	rescan := time.NewTicker(s.rescanInterval)
	defer rescan.Stop()
	loop.check()
	for {
		select {
		case <-ctx.Done():
			return nil
		case event, ok := <-watcher.Events:
			if !ok {
				return errors.New("the file watcher stopped")
			}
			if event.Has(fsnotify.Create) {
				// Watch a new directory at once, so that files written into it
				// before the reload are seen by their own events.
				addTree(watcher, event.Name)
			}
			loop.debounce.Reset(s.debounce)
		case err, ok := <-watcher.Errors:
			if !ok {
				return errors.New("the file watcher stopped")
			}
			s.log.Error(err, msgWatcherError)
			loop.debounce.Reset(s.debounce)
		case <-loop.debounce.C:
			loop.check()
		case <-rescan.C:
			loop.check()
		}
	}
}

// watchLoop is the state of one Watch call.
type watchLoop struct {
	source   *Source
	watcher  *fsnotify.Watcher
	onChange func(compiler.Input, []error)
	// debounce fires a check once events have been quiet for a while, and again
	// to confirm a change.
	debounce *time.Timer
	// pending is the content of a changed directory seen once, waiting for a
	// second scan to agree.
	pending    map[string][sha256.Size]byte
	hasPending bool
	// lastScanErr keeps a broken directory from being reported on every rescan.
	lastScanErr string
}

// check scans the directory and loads it if it changed and a previous scan saw the
// same change.
func (w *watchLoop) check() {
	s := w.source
	s.mu.Lock()
	scan, err := scanDir(s.dir)
	if err != nil {
		input := s.input()
		s.mu.Unlock()
		w.hasPending = false
		if err.Error() != w.lastScanErr {
			w.lastScanErr = err.Error()
			s.log.Error(err, msgConfigDirProblem, "dir", s.dir)
			w.onChange(input, []error{err})
		}
		return
	}
	w.lastScanErr = ""
	fingerprint := scanFingerprint(scan)
	switch {
	case s.loaded && maps.Equal(fingerprint, s.fingerprint):
		s.mu.Unlock()
		w.hasPending = false
	case !w.hasPending || !maps.Equal(fingerprint, w.pending):
		s.mu.Unlock()
		w.pending, w.hasPending = fingerprint, true
		w.debounce.Reset(s.debounce)
	default:
		s.apply(scan)
		input, errs := s.input(), s.errs
		s.mu.Unlock()
		w.hasPending = false
		w.onChange(input, errs)
	}
	syncWatches(w.watcher, scan.dirs)
}

// syncWatches makes the watched directories those of the last scan. fsnotify drops
// the watch of a deleted directory itself, so a directory deleted and created again
// under the same name is watched anew.
func syncWatches(watcher *fsnotify.Watcher, dirs []string) {
	want := make(map[string]bool, len(dirs))
	for _, dir := range dirs {
		want[dir] = true
	}
	watched := make(map[string]bool)
	for _, dir := range watcher.WatchList() {
		watched[dir] = true
		if !want[dir] {
			_ = watcher.Remove(dir) // already gone if the directory was deleted
		}
	}
	for dir := range want {
		if !watched[dir] {
			// A directory that vanished since the scan cannot be watched; the next
			// scan no longer lists it.
			_ = watcher.Add(dir)
		}
	}
}

// addTree watches a new directory and the visible directories under it.
func addTree(watcher *fsnotify.Watcher, path string) {
	if isIgnoredName(filepath.Base(path)) {
		return
	}
	info, err := os.Stat(path)
	if err != nil || !info.IsDir() {
		return
	}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	if watcher.Add(path) != nil {
		return
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return
	}
	for _, entry := range entries {
		addTree(watcher, filepath.Join(path, entry.Name()))
	}
}

// newStoppedTimer returns a timer that fires only once Reset.
func newStoppedTimer() *time.Timer {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	return timer
}
