// Command turnpike is the Turnpike gateway: one binary that watches Gateway API
// objects (or reads them from a directory), compiles them into a snapshot and serves
// traffic from an embedded data plane.
//
//	turnpike serve                  in a cluster: informers, leader-elected status
//	turnpike standalone --config D  without a cluster: YAML files, hot-reloaded
//	turnpike version                print the version
//
// This package only wires: it builds the logger, the data plane, the object source
// and the compile loop for the chosen mode. Nothing below cmd/ branches on the mode.
package main
