// Package e2e runs the real turnpike binary the way the README tells a user to: in
// standalone mode on the quick-start example, with the example backends, on loopback.
// It checks routing, hot reload under load (no failed request), rejection of a bad
// edit without losing what served, `--check`, and graceful shutdown.
package e2e
