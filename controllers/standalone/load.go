package standalone

import (
	"github.com/go-logr/logr"

	"github.com/turnpike-gateway/turnpike/controllers/compiler"
)

// Load reads a config directory once and returns its objects and every problem
// found. Invalid objects are left out of the Input.
func Load(dir string) (compiler.Input, []error) {
	return NewSource(dir, logr.Discard()).Reload()
}

// Check validates a config directory once, for `turnpike standalone --check`: it
// returns every problem found, none if the directory would load cleanly.
func Check(dir string) []error {
	_, errs := Load(dir)
	return errs
}
