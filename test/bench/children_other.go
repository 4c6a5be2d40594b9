//go:build !linux

package main

import "syscall"

// childSysProcAttr has nothing to add outside Linux, which has no parent-death
// signal: there the bench relies on its own clean-up alone.
func childSysProcAttr() *syscall.SysProcAttr { return nil }
