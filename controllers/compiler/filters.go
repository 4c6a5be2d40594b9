package compiler

import (
	"fmt"
	"net/textproto"
	"strings"

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
		case gwapiv1.HTTPRouteFilterRequestRedirect:
			redirect, problem := compileRedirect(filter.RequestRedirect)
			if problem != "" {
				problems = append(problems, fmt.Sprintf("filters[%d]: %s", i, problem))
				continue
			}
			out = append(out, snapshot.Filter{Type: snapshot.FilterRequestRedirect, RequestRedirect: redirect})
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

// compileRedirect checks a RequestRedirect filter. The CRD validates most fields;
// objects that skipped validation (standalone files are validated too, but the
// compiler does not rely on it) are checked again here.
func compileRedirect(in *gwapiv1.HTTPRequestRedirectFilter) (*snapshot.Redirect, string) {
	if in == nil {
		return nil, "requestRedirect must be set for type RequestRedirect"
	}
	out := &snapshot.Redirect{StatusCode: 302}
	if in.StatusCode != nil {
		out.StatusCode = *in.StatusCode
	}
	switch out.StatusCode {
	case 301, 302, 303, 307, 308:
	default:
		return nil, fmt.Sprintf("requestRedirect.statusCode %d is not a redirect status (301, 302, 303, 307 or 308)", out.StatusCode)
	}
	if in.Scheme != nil {
		out.Scheme = *in.Scheme
		if out.Scheme != "http" && out.Scheme != "https" {
			return nil, fmt.Sprintf("requestRedirect.scheme %q must be http or https", out.Scheme)
		}
	}
	if in.Hostname != nil {
		out.Hostname = strings.ToLower(string(*in.Hostname))
	}
	if in.Port != nil {
		out.Port = int32(*in.Port)
	}
	if in.Path != nil {
		switch in.Path.Type {
		case gwapiv1.FullPathHTTPPathModifier:
			if in.Path.ReplaceFullPath == nil {
				return nil, "requestRedirect.path.replaceFullPath must be set for type ReplaceFullPath"
			}
			out.Path = &snapshot.PathModifier{Type: snapshot.ReplaceFullPath, Value: *in.Path.ReplaceFullPath}
		case gwapiv1.PrefixMatchHTTPPathModifier:
			if in.Path.ReplacePrefixMatch == nil {
				return nil, "requestRedirect.path.replacePrefixMatch must be set for type ReplacePrefixMatch"
			}
			out.Path = &snapshot.PathModifier{Type: snapshot.ReplacePrefixMatch, Value: *in.Path.ReplacePrefixMatch}
		default:
			return nil, fmt.Sprintf("requestRedirect.path.type %q is not supported", in.Path.Type)
		}
	}
	return out, ""
}

// filtersForMatch gives a route its rule's filters. A redirect that replaces the
// matched prefix needs the prefix of this match, so such a rule's routes each get
// their own copy; a rule whose match is not a PathPrefix cannot use it.
func filtersForMatch(filters []snapshot.Filter, path snapshot.PathMatch) ([]snapshot.Filter, string) {
	var copied []snapshot.Filter
	for i, f := range filters {
		if f.RequestRedirect == nil || f.RequestRedirect.Path == nil || f.RequestRedirect.Path.Type != snapshot.ReplacePrefixMatch {
			continue
		}
		if path.Type != snapshot.PathPrefix {
			return nil, fmt.Sprintf("filters[%d]: requestRedirect.path.replacePrefixMatch needs a PathPrefix match, not %s", i, path.Type)
		}
		if copied == nil {
			copied = append([]snapshot.Filter(nil), filters...)
		}
		redirect := *f.RequestRedirect
		modifier := *redirect.Path
		modifier.MatchedPrefix = path.Value
		redirect.Path = &modifier
		copied[i].RequestRedirect = &redirect
	}
	if copied == nil {
		return filters, ""
	}
	return copied, ""
}
