//go:build !linux

package harness

import "syscall"

// childSysProcAttr has nothing to add outside Linux, which has no parent-death
// signal: there the harness relies on its own clean-up alone.
func childSysProcAttr() *syscall.SysProcAttr { return nil }
