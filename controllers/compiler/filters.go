package compiler

import (
	"fmt"
	"net/textproto"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// compileFilters compiles a rule's filters in order. Filter types the data plane
// does not implement yet make the rule invalid rather than being skipped: the API
// requires that a filter is never silently ignored.
func compileFilters(filters []gwapiv1.HTTPRouteFilter) ([]snapshot.Filter, []string) {
	var out []snapshot.Filter
	var problems []string
	for i, filter := range filters {
		switch filter.Type {
		case gwapiv1.HTTPRouteFilterRequestHeaderModifier:
			if filter.RequestHeaderModifier == nil {
				problems = append(problems, fmt.Sprintf("filters[%d]: requestHeaderModifier must be set for type RequestHeaderModifier", i))
				continue
			}
			out = append(out, snapshot.Filter{
				Type:                  snapshot.FilterRequestHeaderModifier,
				RequestHeaderModifier: compileHeaderModifier(filter.RequestHeaderModifier),
			})
		default:
			problems = append(problems, fmt.Sprintf("filters[%d]: filter type %s is not supported yet", i, filter.Type))
		}
	}
	return out, problems
}

// compileHeaderModifier canonicalizes header names and keeps only the first entry for
// each name in set and add, as the API asks.
func compileHeaderModifier(in *gwapiv1.HTTPHeaderFilter) *snapshot.HeaderModifier {
	out := &snapshot.HeaderModifier{
		Set: compileHeaders(in.Set),
		Add: compileHeaders(in.Add),
	}
	for _, name := range in.Remove {
		canonical := textproto.CanonicalMIMEHeaderKey(name)
		if !containsString(out.Remove, canonical) {
			out.Remove = append(out.Remove, canonical)
		}
	}
	return out
}

func compileHeaders(in []gwapiv1.HTTPHeader) []snapshot.Header {
	var out []snapshot.Header
	for _, header := range in {
		name := textproto.CanonicalMIMEHeaderKey(string(header.Name))
		duplicate := false
		for _, seen := range out {
			duplicate = duplicate || seen.Name == name
		}
		if !duplicate {
			out = append(out, snapshot.Header{Name: name, Value: header.Value})
		}
	}
	return out
}
