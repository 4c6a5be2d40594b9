package compiler

import (
	"fmt"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// compileRule turns one rule into one snapshot.Route per match. A rule with anything
// Turnpike cannot honour is dropped whole (the Gateway API's "Dropped Rule" way of
// being PartiallyInvalid): serving it without, say, its filter would do something the
// user did not ask for. Its backendRefs are still resolved, so that ResolvedRefs tells
// the whole truth about the route.
func (c *compiler) compileRule(rs *routeState, ruleIndex int, rule *gwapiv1.HTTPRouteRule) {
	var problems []string
	filters, filterProblems := compileFilters(rule.Filters)
	problems = append(problems, filterProblems...)
	if rule.Timeouts != nil {
		problems = append(problems, "timeouts are not supported yet")
	}
	if rule.Retry != nil {
		problems = append(problems, "retry is not supported yet")
	}
	if rule.SessionPersistence != nil {
		problems = append(problems, "sessionPersistence is not supported yet")
	}
	backends, backendProblems := c.resolveBackends(rs, rule.BackendRefs)
	problems = append(problems, backendProblems...)

	matches := rule.Matches
	if len(matches) == 0 {
		matches = []gwapiv1.HTTPRouteMatch{{}} // the API default: PathPrefix "/"
	}
	routes := make([]*snapshot.Route, 0, len(matches))
	for matchIndex := range matches {
		route, err := compileMatch(&matches[matchIndex])
		if err != nil {
			problems = append(problems, fmt.Sprintf("matches[%d]: %s", matchIndex, err))
			continue
		}
		var problem string
		if route.Filters, problem = filtersForMatch(filters, route.Path); problem != "" {
			problems = append(problems, fmt.Sprintf("matches[%d]: %s", matchIndex, problem))
			continue
		}
		routes = append(routes, route)
	}
	if len(problems) > 0 {
		rs.dropped = append(rs.dropped, fmt.Sprintf("Dropped Rule %d: %s.", ruleIndex, strings.Join(problems, "; ")))
		return
	}

	ruleName := ""
	if rule.Name != nil {
		ruleName = string(*rule.Name)
	}
	idPrefix := "httproute/" + rs.key.Namespace + "/" + rs.key.Name + "/rule/" + strconv.Itoa(ruleIndex) + "/match/"
	for matchIndex, route := range routes {
		route.ID = idPrefix + strconv.Itoa(matchIndex)
		route.RouteNamespace = rs.key.Namespace
		route.RouteName = rs.key.Name
		route.RuleIndex = ruleIndex
		route.RuleName = ruleName
		route.Backends = backends
		rs.matches = append(rs.matches, &compiledMatch{
			route:      route,
			created:    rs.obj.CreationTimestamp,
			routeKey:   rs.key,
			ruleIndex:  ruleIndex,
			matchIndex: matchIndex,
		})
	}
	rs.validRules++
}

// knownMethods are the methods HTTPRoute method matching may name.
var knownMethods = map[gwapiv1.HTTPMethod]bool{
	gwapiv1.HTTPMethodGet: true, gwapiv1.HTTPMethodHead: true, gwapiv1.HTTPMethodPost: true,
	gwapiv1.HTTPMethodPut: true, gwapiv1.HTTPMethodDelete: true, gwapiv1.HTTPMethodConnect: true,
	gwapiv1.HTTPMethodOptions: true, gwapiv1.HTTPMethodTrace: true, gwapiv1.HTTPMethodPatch: true,
}

// compileMatch compiles one HTTPRouteMatch, applying the API defaults (objects read
// from files have not been through the API server's defaulting).
func compileMatch(match *gwapiv1.HTTPRouteMatch) (*snapshot.Route, error) {
	route := &snapshot.Route{}
	path, err := compilePath(match.Path)
	if err != nil {
		return nil, err
	}
	route.Path = path
	if match.Method != nil {
		if !knownMethods[*match.Method] {
			return nil, fmt.Errorf("method %q is not supported", *match.Method)
		}
		route.Method = string(*match.Method)
	}
	for _, header := range match.Headers {
		name := textproto.CanonicalMIMEHeaderKey(string(header.Name))
		if containsHeaderMatch(route.Headers, name) {
			continue // the API says only the first entry for a name counts
		}
		matchType, value, regex, err := compileStringMatch((*string)(header.Type), header.Value)
		if err != nil {
			return nil, fmt.Errorf("header %s: %w", name, err)
		}
		route.Headers = append(route.Headers, snapshot.HeaderMatch{Name: name, Type: matchType, Value: value, Regex: regex})
	}
	for _, param := range match.QueryParams {
		name := string(param.Name) // query parameter names are case-sensitive
		if containsQueryMatch(route.QueryParams, name) {
			continue
		}
		matchType, value, regex, err := compileStringMatch((*string)(param.Type), param.Value)
		if err != nil {
			return nil, fmt.Errorf("query parameter %s: %w", name, err)
		}
		route.QueryParams = append(route.QueryParams, snapshot.QueryParamMatch{Name: name, Type: matchType, Value: value, Regex: regex})
	}
	return route, nil
}

func compilePath(path *gwapiv1.HTTPPathMatch) (snapshot.PathMatch, error) {
	pathType, value := gwapiv1.PathMatchPathPrefix, "/"
	if path != nil {
		if path.Type != nil {
			pathType = *path.Type
		}
		if path.Value != nil {
			value = *path.Value
		}
	}
	switch pathType {
	case gwapiv1.PathMatchExact:
		if !strings.HasPrefix(value, "/") {
			return snapshot.PathMatch{}, fmt.Errorf("path %q must start with /", value)
		}
		return snapshot.PathMatch{Type: snapshot.PathExact, Value: value}, nil
	case gwapiv1.PathMatchPathPrefix:
		if !strings.HasPrefix(value, "/") {
			return snapshot.PathMatch{}, fmt.Errorf("path prefix %q must start with /", value)
		}
		// A trailing '/' is ignored by PathPrefix semantics; the snapshot's value never
		// ends in one (except "/" itself), which keeps the data plane's segment check simple.
		if trimmed := strings.TrimRight(value, "/"); trimmed != "" {
			value = trimmed
		} else {
			value = "/"
		}
		return snapshot.PathMatch{Type: snapshot.PathPrefix, Value: value}, nil
	case gwapiv1.PathMatchRegularExpression:
		regex, err := anchoredRegexp(value)
		if err != nil {
			return snapshot.PathMatch{}, fmt.Errorf("path regular expression %q is invalid: %w", value, err)
		}
		return snapshot.PathMatch{Type: snapshot.PathRegularExpression, Value: value, Regex: regex}, nil
	default:
		return snapshot.PathMatch{}, fmt.Errorf("path match type %q is not supported", pathType)
	}
}

// compileStringMatch compiles a header or query parameter value match. matchType is
// the API's HeaderMatchType or QueryParamMatchType, which share their values.
func compileStringMatch(matchType *string, value string) (snapshot.StringMatchType, string, *regexp.Regexp, error) {
	switch {
	case matchType == nil || *matchType == string(gwapiv1.HeaderMatchExact):
		return snapshot.MatchExact, value, nil, nil
	case *matchType == string(gwapiv1.HeaderMatchRegularExpression):
		regex, err := anchoredRegexp(value)
		if err != nil {
			return "", "", nil, fmt.Errorf("regular expression %q is invalid: %w", value, err)
		}
		return snapshot.MatchRegularExpression, value, regex, nil
	default:
		return "", "", nil, fmt.Errorf("match type %q is not supported", *matchType)
	}
}

// anchoredRegexp compiles a Go RE2 expression that must match the whole value.
func anchoredRegexp(expr string) (*regexp.Regexp, error) {
	if _, err := regexp.Compile(expr); err != nil {
		return nil, err // report the user's expression, not our wrapped one
	}
	return regexp.Compile("^(?:" + expr + ")$")
}

func containsHeaderMatch(list []snapshot.HeaderMatch, name string) bool {
	for _, m := range list {
		if m.Name == name {
			return true
		}
	}
	return false
}

func containsQueryMatch(list []snapshot.QueryParamMatch, name string) bool {
	for _, m := range list {
		if m.Name == name {
			return true
		}
	}
	return false
}
