// Package controllers is the in-cluster source of the pipeline and its status writer.
//
//	informers -> thin reconcilers -> CompileLoop -> compiler.Compile -> Publisher (data plane)
//	                                      |
//	                                      └-> StatusWriter (leader only) -> API server
//
// The per-kind reconcilers do no work of their own: each event only signals the one
// debounced CompileLoop, which lists every object from the informer caches, compiles
// them into a snapshot, publishes it to this replica's data plane, and then hands the
// status report to the StatusWriter. Every replica runs the loop; only the elected
// leader runs the StatusWriter, so replicas never fight over status.
//
// With per-Gateway Services (Options.GatewayServices) the leader also runs the
// GatewayServiceProvisioner (gatewayservice*.go): one Service per Gateway, owned by
// it, and that Service's EndpointSlice listing Turnpike's pods. The compiler's
// ServiceBinder reads the ports and addresses back from those Services, so the
// Services are both the exposure and the record of which container port serves
// which listener.
package controllers
