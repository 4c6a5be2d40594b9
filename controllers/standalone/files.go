package standalone

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// sourceFile is one config file as read from disk.
type sourceFile struct {
	// path is relative to the config directory, with forward slashes.
	path string
	data []byte
	// readErr is set when the file is listed but cannot be read.
	readErr error
}

// dirScan is one pass over the config directory.
type dirScan struct {
	files []sourceFile // sorted by path
	// dirs are the directories walked (resolved through symbolic links), which a
	// watcher must watch.
	dirs []string
}

// isConfigFile tells whether a file name is one to load.
func isConfigFile(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return !isIgnoredName(name)
	}
	return false
}

// isIgnoredName reports hidden entries (which also covers the ..data and
// ..<timestamp> entries of a Kubernetes ConfigMap volume, and vim's .name.swp) and
// editor leftovers.
func isIgnoredName(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasSuffix(name, "~") ||
		strings.HasSuffix(name, ".swp") || strings.HasPrefix(name, "#")
}

// scanDir reads every config file under root. Symbolic links are followed (a
// ConfigMap volume is all links), with each real directory walked once so that a
// link loop ends.
func scanDir(root string) (dirScan, error) {
	info, err := os.Stat(root)
	if err != nil {
		return dirScan{}, fmt.Errorf("reading config directory: %w", err)
	}
	if !info.IsDir() {
		return dirScan{}, fmt.Errorf("config path %s is not a directory", root)
	}
	var scan dirScan
	visited := make(map[string]bool)
	if err := scan.walk(root, "", visited); err != nil {
		return dirScan{}, err
	}
	slices.SortFunc(scan.files, func(a, b sourceFile) int { return strings.Compare(a.path, b.path) })
	return scan, nil
}

func (s *dirScan) walk(dir, rel string, visited map[string]bool) error {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		real = dir
	}
	if visited[real] {
		return nil
	}
	visited[real] = true
	s.dirs = append(s.dirs, real)
	entries, err := os.ReadDir(dir)
	if err != nil {
		if rel == "" {
			return fmt.Errorf("reading config directory: %w", err)
		}
		// A subdirectory that vanished or cannot be read holds nothing we can load;
		// the rescan after the next change will look again.
		return nil
	}
	for _, entry := range entries {
		name := entry.Name()
		if isIgnoredName(name) {
			continue
		}
		full := filepath.Join(dir, name)
		relPath := path.Join(rel, name)
		mode := entry.Type()
		if mode&os.ModeSymlink != 0 {
			target, err := os.Stat(full)
			if err != nil {
				continue // a dangling link, as during a ConfigMap update: nothing to read
			}
			mode = target.Mode().Type()
		}
		switch {
		case mode.IsDir():
			if err := s.walk(full, relPath, visited); err != nil {
				return err
			}
		case mode.IsRegular() && isConfigFile(name):
			data, err := os.ReadFile(full)
			if err != nil && os.IsNotExist(err) {
				continue // removed between listing and reading
			}
			s.files = append(s.files, sourceFile{path: relPath, data: data, readErr: err})
		}
	}
	return nil
}
