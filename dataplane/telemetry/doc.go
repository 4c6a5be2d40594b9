// Package telemetry holds what the data plane counts and logs about the requests
// it serves: request counters and duration histograms per route rule and per
// backend, and the JSON access log.
//
// It sits beside the request path, not in it:
//
//	DataPlane.Publish -> Registry.NewBuilder: one RouteMetrics per (Gateway, route
//	                     rule), one BackendMetrics per (Gateway, rule, backend),
//	                     reused across snapshots by identity; pointers go into
//	                     the route plans
//	per request       -> atomic increments through those pointers; a sampled
//	                     request renders one Line into a pooled buffer
//	AccessLog         -> one goroutine writes queued lines in batches
//	/metrics scrape   -> Registry.Stats and AccessLog.Stats, read by the
//	                     Prometheus collector in cmd
//
// The counters are plain atomics: the request path never touches a Prometheus
// type, never takes a lock and never allocates once the cells a route uses exist.
// Counters live outside the snapshot, keyed by stable identities (Gateway
// "namespace/name", route "httproute/namespace/name", rule index, backend
// "namespace/service:port"), so a swap keeps the counts of everything it did
// not remove. The package imports only the standard library.
package telemetry
