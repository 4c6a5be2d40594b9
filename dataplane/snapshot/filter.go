package snapshot

// FilterType names a request or response transformation.
type FilterType string

const (
	// FilterRequestHeaderModifier edits request headers before forwarding.
	FilterRequestHeaderModifier FilterType = "RequestHeaderModifier"
)

// Filter is one step of a route's filter chain. Exactly the field that matches Type is set.
type Filter struct {
	Type                  FilterType      `json:"type"`
	RequestHeaderModifier *HeaderModifier `json:"requestHeaderModifier,omitempty"`
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
