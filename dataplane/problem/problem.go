package problem

// ContentType is the media type of every problem body (RFC 9457 section 3).
const ContentType = "application/problem+json"

// TypeBase prefixes every problem type URI. The URIs are identifiers that clients
// may switch on; they are documented, and never change once released.
const TypeBase = "https://turnpike.dev/problems/"

// Problem is one kind of response that Turnpike produces itself.
type Problem struct {
	// Type is the stable URI that identifies the case.
	Type string `json:"type"`
	// Title is a short, human-readable summary of the case.
	Title string `json:"title"`
	// Status is the HTTP status code.
	Status int `json:"status"`
	// Detail explains the case in one sentence without internal detail.
	Detail string `json:"detail"`

	body []byte
}

// Body returns the rendered JSON document. It is shared: callers must not modify it.
func (p *Problem) Body() []byte { return p.body }

// newProblem renders the body once, with the same code that renders per-request
// details (AppendBody), so that the two never differ in form.
func newProblem(slug, title string, status int, detail string) *Problem {
	p := &Problem{Type: TypeBase + slug, Title: title, Status: status, Detail: detail}
	p.body = p.AppendBody(nil, status, detail)
	return p
}

// The cases. Slugs are part of the public contract.
var (
	// NoRoute: no listener, virtual host or route matches the request.
	NoRoute = newProblem("no-route", "No route", 404,
		"No route matches the request's host, path, method, headers and query parameters.")
	// InvalidBackend: the chosen backend reference could not be resolved, or the
	// route has no backend with a positive weight (the Gateway API asks for 500).
	InvalidBackend = newProblem("invalid-backend", "Invalid backend", 500,
		"The route has no valid backend for this request.")
	// RouteUnavailable: the route uses a feature this data plane cannot apply, so it
	// fails closed rather than serving the request without it.
	RouteUnavailable = newProblem("route-unavailable", "Route unavailable", 500,
		"The route cannot be served as configured.")
	// NoEndpoints: the backend exists but none of its endpoints is ready.
	NoEndpoints = newProblem("no-endpoints", "No ready endpoints", 503,
		"The backend has no ready endpoints.")
	// UpstreamBusy: every connection to the chosen endpoint is in use.
	UpstreamBusy = newProblem("upstream-busy", "Upstream busy", 503,
		"All connections to the backend are in use; retry later.")
	// UpstreamUnreachable: the connection was refused or reset, or the backend
	// answered with something that is not a valid HTTP response.
	UpstreamUnreachable = newProblem("upstream-unreachable", "Bad gateway", 502,
		"The backend could not be reached or sent an invalid response.")
	// UpstreamTimeout: connecting to or hearing back from the backend took too long.
	UpstreamTimeout = newProblem("upstream-timeout", "Gateway timeout", 504,
		"The backend did not respond in time.")
	// BadRequest: the request could not be parsed as HTTP/1.1.
	BadRequest = newProblem("bad-request", "Bad request", 400,
		"The request could not be parsed.")
	// RequestTimeout: the client did not send the whole request in time.
	RequestTimeout = newProblem("request-timeout", "Request timeout", 408,
		"The request was not received in time.")
	// BodyTooLarge: the request body exceeds the configured limit.
	BodyTooLarge = newProblem("request-body-too-large", "Request body too large", 413,
		"The request body exceeds the size limit.")
	// HeaderTooLarge: the request line and headers exceed the configured limit.
	HeaderTooLarge = newProblem("request-header-too-large", "Request header fields too large", 431,
		"The request line and header fields exceed the size limit.")
	// RateLimited: the request is over a rate limit of the route. Retry-After
	// and the RateLimit header fields say when to come back.
	RateLimited = newProblem("rate-limited", "Too many requests", 429,
		"The request exceeds a rate limit; retry after the time given in Retry-After.")
	// RateLimitUnavailable: the shared rate-limit counters cannot be reached and
	// the gateway is configured to refuse requests it cannot count (failure mode
	// closed). The client is not known to be over any limit, hence not 429.
	RateLimitUnavailable = newProblem("rate-limit-unavailable", "Rate limiting unavailable", 503,
		"Rate limits cannot be checked right now; retry later.")

	// The answers of AuthPolicy. The auth step usually renders them with a
	// per-request detail (AppendBody) that says what was wrong with the
	// credential; the static bodies carry the generic sentence.

	// CredentialMissing: the route needs credentials and the request carried
	// none that any of its authentication rules reads. WWW-Authenticate names
	// the schemes the route accepts.
	CredentialMissing = newProblem("credential-missing", "Credentials required", 401,
		"The request needs credentials; see WWW-Authenticate for the accepted schemes.")
	// CredentialInvalid: the credential was there but is not valid (unknown key,
	// bad signature, wrong issuer or audience, malformed, inactive, untrusted).
	CredentialInvalid = newProblem("credential-invalid", "Invalid credentials", 401,
		"The credentials in the request are not valid.")
	// CredentialExpired: the credential was valid once, and has expired; the
	// client should get a new one.
	CredentialExpired = newProblem("credential-expired", "Expired credentials", 401,
		"The credentials in the request have expired; obtain new ones.")
	// Forbidden: the request is authenticated, but not allowed.
	Forbidden = newProblem("forbidden", "Forbidden", 403,
		"The request is not allowed for this identity.")
	// AuthUnavailable: what verifies credentials (a key set, an introspection
	// endpoint) cannot be reached now, so the request can be neither allowed nor
	// refused. Retry-After says when to try again.
	AuthUnavailable = newProblem("auth-unavailable", "Authentication unavailable", 503,
		"Credentials cannot be verified right now; retry later.")
)

// All lists every case, for documentation and tests.
func All() []*Problem {
	return []*Problem{
		NoRoute, InvalidBackend, RouteUnavailable, NoEndpoints, UpstreamBusy,
		UpstreamUnreachable, UpstreamTimeout, BadRequest, RequestTimeout,
		BodyTooLarge, HeaderTooLarge, RateLimited, RateLimitUnavailable,
		CredentialMissing, CredentialInvalid, CredentialExpired, Forbidden, AuthUnavailable,
	}
}
