package main

import (
	"fmt"
	"io"
	"os"
)

const usage = `Usage: turnpike <command> [flags]

Commands:
  serve        run in a Kubernetes cluster (watches the API server)
  standalone   serve Gateway API YAML from a directory, without a cluster
  version      print the version and exit

Run 'turnpike <command> -h' for the flags of a command.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches a subcommand and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return runServe(args[1:], stderr)
	case "standalone":
		return runStandalone(args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, versionString())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "turnpike: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}
