package filter

import (
	"fmt"

	"github.com/valyala/fasthttp"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// Filter is one compiled step of a route's filter chain.
type Filter interface {
	// Apply edits the request in ctx, or writes a response. It returns false when
	// it answered the request itself and nothing after it may run.
	Apply(ctx *fasthttp.RequestCtx) (next bool)
}

// Chain is a route's filters in the order the route lists them.
type Chain []Filter

// Apply runs the filters in order and reports whether the request should still be
// forwarded.
func (c Chain) Apply(ctx *fasthttp.RequestCtx) bool {
	for _, f := range c {
		if !f.Apply(ctx) {
			return false
		}
	}
	return true
}

// Build compiles the filters of one route, keeping their order.
func Build(filters []snapshot.Filter) (Chain, error) {
	chain := make(Chain, 0, len(filters))
	for i, f := range filters {
		compiled, err := build(f)
		if err != nil {
			return nil, fmt.Errorf("filter %d (%s): %w", i, f.Type, err)
		}
		chain = append(chain, compiled)
	}
	return chain, nil
}

// ErrUnsupported is wrapped by Build for a filter type this data plane cannot apply.
var ErrUnsupported = fmt.Errorf("filter type not supported by the data plane")

func build(f snapshot.Filter) (Filter, error) {
	switch f.Type {
	case snapshot.FilterRequestHeaderModifier:
		if f.RequestHeaderModifier == nil {
			return nil, fmt.Errorf("requestHeaderModifier is not set")
		}
		return newRequestHeaderModifier(f.RequestHeaderModifier), nil
	case snapshot.FilterRequestRedirect:
		if f.RequestRedirect == nil {
			return nil, fmt.Errorf("requestRedirect is not set")
		}
		return newRequestRedirect(f.RequestRedirect), nil
	default:
		return nil, ErrUnsupported
	}
}
