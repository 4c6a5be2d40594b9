package filter

import (
	"github.com/valyala/fasthttp"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// requestHeaderModifier applies the Gateway API RequestHeaderModifier: set, then
// add, then remove. Header names are case-insensitive; fasthttp normalises them.
type requestHeaderModifier struct {
	set    []snapshot.Header
	add    []snapshot.Header
	remove []string
}

func newRequestHeaderModifier(m *snapshot.HeaderModifier) *requestHeaderModifier {
	// Copies, so that the filter never aliases the snapshot's slices.
	return &requestHeaderModifier{
		set:    append([]snapshot.Header(nil), m.Set...),
		add:    append([]snapshot.Header(nil), m.Add...),
		remove: append([]string(nil), m.Remove...),
	}
}

// Apply edits the request headers; it never answers the request itself.
func (m *requestHeaderModifier) Apply(ctx *fasthttp.RequestCtx) bool {
	h := &ctx.Request.Header
	for _, s := range m.set {
		// Set replaces every value the header had; fasthttp's Set alone would
		// replace only the first of repeated headers.
		h.Del(s.Name)
		h.Set(s.Name, s.Value)
	}
	for _, a := range m.add {
		// Add keeps the values already there; the backend sees them in order, which
		// is the same as one comma-joined value (RFC 9110 section 5.3).
		h.Add(a.Name, a.Value)
	}
	for _, name := range m.remove {
		h.Del(name)
	}
	return true
}
