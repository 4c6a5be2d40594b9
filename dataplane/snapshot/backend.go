package snapshot

// Backend is one weighted backendRef of a rule, resolved to endpoint addresses.
type Backend struct {
	// Name is "<namespace>/<service>:<port>" for logs, metrics and error bodies.
	Name string `json:"name"`
	// Weight is the share of requests this backend receives, relative to the other
	// backends of the same route. Zero receives none.
	Weight int32 `json:"weight"`
	// Invalid, when not empty, says why the backendRef could not be resolved
	// (unknown Service, kind not supported, reference not permitted). Requests
	// that pick this backend are answered with 500, as the Gateway API requires, and
	// the reason goes to the log, never to the client.
	Invalid string `json:"invalid,omitempty"`
	// Endpoints are the ready addresses behind the backend, sorted. Empty (and not
	// Invalid) means the Service exists but nothing is ready: requests get 503.
	Endpoints []Endpoint `json:"endpoints,omitempty"`
}

// Endpoint is one ready address of a backend.
type Endpoint struct {
	// IP is an IPv4 or IPv6 address.
	IP string `json:"ip"`
	// Port is the target port (the EndpointSlice port that the Service port names).
	Port int32 `json:"port"`
}
