package harness

import "syscall"

// childSysProcAttr makes the kernel kill a child when the harness dies, even by
// SIGKILL, which no deferred clean-up can catch. (Pdeathsig follows the OS thread
// that started the child; the Go runtime does not end its threads while the harness
// runs, as no goroutine here locks one.)
func childSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
