package snapshot

// FilterType names a request or response transformation.
type FilterType string

const (
	// FilterRequestHeaderModifier edits request headers before forwarding.
	FilterRequestHeaderModifier FilterType = "RequestHeaderModifier"
	// FilterRequestRedirect answers the request with a redirect; nothing is
	// forwarded.
	FilterRequestRedirect FilterType = "RequestRedirect"
)

// Filter is one step of a route's filter chain. Exactly the field that matches Type is set.
type Filter struct {
	Type                  FilterType      `json:"type"`
	RequestHeaderModifier *HeaderModifier `json:"requestHeaderModifier,omitempty"`
	RequestRedirect       *Redirect       `json:"requestRedirect,omitempty"`
}

// Redirect is the Gateway API RequestRedirect filter: the Location is the request's
// URL with the fields that are set replaced.
type Redirect struct {
	// Scheme is "http" or "https"; empty keeps the request's.
	Scheme string `json:"scheme,omitempty"`
	// Hostname replaces the request's host; empty keeps it (without its port).
	Hostname string `json:"hostname,omitempty"`
	// Port is the port of the Location; zero derives it: the well-known port of
	// Scheme when Scheme is set, else the port the client connected to (from its
	// Host header). Well-known ports (80 for http, 443 for https) are left out.
	Port int32 `json:"port,omitempty"`
	// Path, when set, changes the path; the query string is kept either way.
	Path *PathModifier `json:"path,omitempty"`
	// StatusCode is 301, 302, 303, 307 or 308.
	StatusCode int `json:"statusCode"`
}

// PathModifierType is how a redirect or rewrite changes the path.
type PathModifierType string

const (
	// ReplaceFullPath replaces the whole path with Value.
	ReplaceFullPath PathModifierType = "ReplaceFullPath"
	// ReplacePrefixMatch replaces the PathPrefix the route matched (MatchedPrefix)
	// with Value: prefix /foo, value /bar: /foo/x becomes /bar/x.
	ReplacePrefixMatch PathModifierType = "ReplacePrefixMatch"
)

// PathModifier changes a request path.
type PathModifier struct {
	Type  PathModifierType `json:"type"`
	Value string           `json:"value"`
	// MatchedPrefix is the route's PathPrefix value, for ReplacePrefixMatch.
	MatchedPrefix string `json:"matchedPrefix,omitempty"`
}

// HeaderModifier sets, adds and removes headers, in that order. Names are canonical.
type HeaderModifier struct {
	// Set replaces every value of the header with one value.
	Set []Header `json:"set,omitempty"`
	// Add appends a value, keeping the ones already there.
	Add []Header `json:"add,omitempty"`
	// Remove deletes the header entirely.
	Remove []string `json:"remove,omitempty"`
}

// Header is one header name and value.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}
