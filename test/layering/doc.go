// Package layering enforces STYLE.md's import table ("who may import whom") with
// `go list -deps`, so the pipeline's boundaries cannot rot silently: the snapshot stays
// standard-library only, the data plane never pulls in Kubernetes, and the compiler
// stays free of clients and fasthttp.
package layering
