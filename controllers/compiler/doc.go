// Package compiler turns the Kubernetes objects Turnpike watches into one immutable
// data-plane snapshot plus a status report.
//
// It is the pure middle of the pipeline:
//
//	informers or YAML files -> Input -> Compile -> (*snapshot.Snapshot, Report)
//
// Compile has no client, no clock, no network and no logging. It never modifies its
// input objects (they are shared with informer caches). Status comes back as data in
// the Report, and the leader's status writer turns it into API writes. One invalid
// object is rejected in its own status and left out of the snapshot; everything else
// keeps serving.
//
// Compile runs in stages, one file each:
//
//	gatewayclass.go  our GatewayClasses and their supported features
//	gateway.go       our Gateways, their binding (binder.go; binder_service*.go for
//	                 per-Gateway Services: container ports, addresses, class
//	                 parameters) and status
//	listener.go      listener validation, conflicts and allowedRoutes
//	sockets.go       listeners grouped onto the sockets the data plane binds
//	httproute.go     parentRefs, attachment, hostname intersection (hostnames.go)
//	rules.go         matches and filters (filters.go) of each rule
//	backends.go      backendRefs, ReferenceGrants (referencegrant.go), endpoints.go
//	ratelimitpolicy.go  RateLimitPolicies: validation and CEL (compiled once, here),
//	                 targets (policytarget.go), defaults and overrides
//	                 (policychain.go, ratelimit_effective.go), status (policystatus.go)
//	authpolicy.go    AuthPolicies, the same way: rules (authpolicy_rules.go,
//	                 authpolicy_response.go), Secrets (authpolicy_secrets.go),
//	                 Authorino selectors and patterns compiled to CEL
//	                 (authpolicy_selectors.go, authpolicy_conditions.go,
//	                 authpolicy_values.go), per-route rules and client
//	                 certificates (authpolicy_effective.go)
//	compile.go       the snapshot, in precedence order (precedence.go)
//
// After publishing, ApplyPublishResult (publish.go) corrects the report for sockets
// the data plane could not bind.
package compiler
