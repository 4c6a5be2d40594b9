package telemetry

// Outcome is how the data plane ended a request. Every outcome but Forwarded
// and Filter is an answer Turnpike wrote itself, a problem document whose type
// has the same slug.
type Outcome uint8

// The outcomes. Their names are label values, part of the metrics contract.
const (
	// Forwarded: the backend answered, whatever its status (an upgrade too).
	Forwarded Outcome = iota
	// Filter: a filter of the route answered (a redirect).
	Filter
	// NoRoute: no listener or route matched (404).
	NoRoute
	// RouteUnavailable: the route's filters or limits cannot be applied (500).
	RouteUnavailable
	// AuthDenied: an AuthPolicy refused the credentials or the request (401,
	// 403, or the policy's own status).
	AuthDenied
	// AuthUnavailable: credentials could not be checked (503), or the policy
	// cannot be enforced (500).
	AuthUnavailable
	// RateLimited: over a rate limit (429).
	RateLimited
	// RateLimitUnavailable: shared counters unreachable, failure mode closed (503).
	RateLimitUnavailable
	// InvalidBackend: no valid backend (500).
	InvalidBackend
	// NoEndpoints: the backend has no ready endpoint (503).
	NoEndpoints
	// UpstreamBusy: no free connection to the endpoint (503).
	UpstreamBusy
	// UpstreamUnreachable: refused, reset or an invalid response (502).
	UpstreamUnreachable
	// UpstreamTimeout: the backend did not answer in time (504).
	UpstreamTimeout
	// BadRequest: the request could not be parsed (400).
	BadRequest
	// RequestTimeout: the request was not received in time (408).
	RequestTimeout
	// BodyTooLarge: the request body is over the limit (413).
	BodyTooLarge
	// HeaderTooLarge: the request line and headers are over the limit (431).
	HeaderTooLarge
	numOutcomes
)

var outcomeNames = [numOutcomes]string{
	Forwarded:            "forwarded",
	Filter:               "filter",
	NoRoute:              "no-route",
	RouteUnavailable:     "route-unavailable",
	AuthDenied:           "auth-denied",
	AuthUnavailable:      "auth-unavailable",
	RateLimited:          "rate-limited",
	RateLimitUnavailable: "rate-limit-unavailable",
	InvalidBackend:       "invalid-backend",
	NoEndpoints:          "no-endpoints",
	UpstreamBusy:         "upstream-busy",
	UpstreamUnreachable:  "upstream-unreachable",
	UpstreamTimeout:      "upstream-timeout",
	BadRequest:           "bad-request",
	RequestTimeout:       "request-timeout",
	BodyTooLarge:         "request-body-too-large",
	HeaderTooLarge:       "request-header-too-large",
}

func (o Outcome) String() string {
	if o < numOutcomes {
		return outcomeNames[o]
	}
	return "unknown"
}

// Outcomes lists every outcome, for documentation and tests.
func Outcomes() []Outcome {
	out := make([]Outcome, numOutcomes)
	for i := range out {
		out[i] = Outcome(i)
	}
	return out
}

// Method is a request method as a label: the nine of RFC 9110 and PATCH, and
// two catch-alls, so that a client cannot create series by inventing methods.
type Method uint8

// The methods.
const (
	MethodGet Method = iota
	MethodHead
	MethodPost
	MethodPut
	MethodDelete
	MethodConnect
	MethodOptions
	MethodTrace
	MethodPatch
	// MethodOther is any other token.
	MethodOther
	// MethodUnknown is a request that could not be read far enough to know.
	MethodUnknown
	numMethods
)

var methodNames = [numMethods]string{"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "other", "unknown"}

func (m Method) String() string {
	if m < numMethods {
		return methodNames[m]
	}
	return "unknown"
}

// MethodOf classifies a request method; methods are case-sensitive.
func MethodOf(method []byte) Method {
	// A switch on string(method) compares without converting (no allocation).
	switch string(method) {
	case "GET":
		return MethodGet
	case "HEAD":
		return MethodHead
	case "POST":
		return MethodPost
	case "PUT":
		return MethodPut
	case "DELETE":
		return MethodDelete
	case "CONNECT":
		return MethodConnect
	case "OPTIONS":
		return MethodOptions
	case "TRACE":
		return MethodTrace
	case "PATCH":
		return MethodPatch
	}
	return MethodOther
}

// Class is a status class: 1xx to 5xx.
type Class uint8

const numClasses = 5

var classNames = [numClasses]string{"1xx", "2xx", "3xx", "4xx", "5xx"}

func (c Class) String() string {
	if c < numClasses {
		return classNames[c]
	}
	return "5xx"
}

// ClassOf returns the class of a status code. Codes outside 100-599, which a
// broken backend might send, count with the nearest class.
func ClassOf(status int) Class {
	switch {
	case status < 200:
		return 0
	case status >= 500:
		return 4
	}
	return Class(status/100 - 1)
}
