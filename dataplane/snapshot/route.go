package snapshot

import "regexp"

// Route is one HTTPRoute match (one entry of a rule's matches) with the rule's action.
// A rule with N matches becomes N Routes that share Filters and Backends.
type Route struct {
	// ID names the match for logs and metrics:
	// "httproute/<namespace>/<name>/rule/<i>/match/<j>".
	ID string `json:"id"`
	// RouteNamespace and RouteName identify the HTTPRoute.
	RouteNamespace string `json:"routeNamespace"`
	RouteName      string `json:"routeName"`
	// RuleIndex is the rule's position in the HTTPRoute; RuleName its optional name.
	RuleIndex int    `json:"ruleIndex"`
	RuleName  string `json:"ruleName,omitempty"`

	// Path must match; it is never nil (the default is PathPrefix "/").
	Path PathMatch `json:"path"`
	// Method, when not empty, must equal the request method (upper case).
	Method string `json:"method,omitempty"`
	// Headers must all match.
	Headers []HeaderMatch `json:"headers,omitempty"`
	// QueryParams must all match.
	QueryParams []QueryParamMatch `json:"queryParams,omitempty"`

	// Filters run in this order before the request is forwarded.
	Filters []Filter `json:"filters,omitempty"`
	// Auth, when set, is checked first after routing: the request must
	// authenticate (401) and be authorized (403) before anything else runs, and
	// the identity it proves is what RateLimits and filters then read.
	Auth *Auth `json:"auth,omitempty"`
	// RateLimits are checked after auth and before the filters; a request over
	// any of them is answered 429.
	RateLimits []*RateLimit `json:"rateLimits,omitempty"`
	// Backends receive the request in proportion to their weights. A route whose
	// Backends are empty, or all of weight zero, answers 500: that is what the
	// Gateway API asks for a rule that has no valid backend.
	Backends []*Backend `json:"backends,omitempty"`
}

// PathMatchType is how a path is compared.
type PathMatchType string

const (
	// PathExact matches the whole path, case-sensitively.
	PathExact PathMatchType = "Exact"
	// PathPrefix matches whole '/'-separated segments: "/abc" matches "/abc",
	// "/abc/" and "/abc/def" but not "/abcd". Value never ends in '/' unless it is "/".
	PathPrefix PathMatchType = "PathPrefix"
	// PathRegularExpression matches when Regex matches the whole path.
	PathRegularExpression PathMatchType = "RegularExpression"
)

// PathMatch compares the request path (without the query string).
type PathMatch struct {
	Type  PathMatchType `json:"type"`
	Value string        `json:"value"`
	// Regex is set for PathRegularExpression and is anchored at both ends.
	Regex *regexp.Regexp `json:"-"`
}

// StringMatchType is how a header or query parameter value is compared.
type StringMatchType string

const (
	// MatchExact compares the value for equality (case-sensitive).
	MatchExact StringMatchType = "Exact"
	// MatchRegularExpression matches when Regex matches the whole value.
	MatchRegularExpression StringMatchType = "RegularExpression"
)

// HeaderMatch compares one request header. Name is canonical
// ("X-Request-Id"); header names are compared case-insensitively.
type HeaderMatch struct {
	Name  string          `json:"name"`
	Type  StringMatchType `json:"type"`
	Value string          `json:"value"`
	// Regex is set for MatchRegularExpression and is anchored at both ends.
	Regex *regexp.Regexp `json:"-"`
}

// QueryParamMatch compares one query parameter (its first value); names are
// case-sensitive.
type QueryParamMatch struct {
	Name  string          `json:"name"`
	Type  StringMatchType `json:"type"`
	Value string          `json:"value"`
	Regex *regexp.Regexp  `json:"-"`
}
