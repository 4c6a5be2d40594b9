package compiler

import (
	"cmp"
	"strings"
)

// Hostnames here are lower case; "" means any host, "*.example.com" any host under
// example.com (one or more labels, never example.com itself).

func isWildcard(hostname string) bool { return strings.HasPrefix(hostname, "*.") }

// wildcardMatches reports whether the wildcard pattern covers host, which may itself
// be a wildcard: "*.example.com" covers "a.example.com", "a.b.example.com" and
// "*.a.example.com", but not "example.com".
func wildcardMatches(pattern, host string) bool {
	suffix := pattern[1:] // ".example.com"
	return strings.HasSuffix(host, suffix) && len(host) > len(suffix) && host != pattern
}

// intersectHostnames returns the hostnames a route serves on a listener: the Gateway
// API's intersection of the listener's hostname with the route's hostnames. Every
// result is as specific as both sides allow (a route's "a.example.com" on a
// "*.example.com" listener gives "a.example.com"; a route's "*.example.com" on an
// "a.example.com" listener gives "a.example.com"). Empty means no intersection.
// Route hostnames must be lower case and free of duplicates.
func intersectHostnames(listener string, route []string) []string {
	if len(route) == 0 {
		return []string{listener}
	}
	if listener == "" {
		return route
	}
	var out []string
	for _, hostname := range route {
		effective := ""
		switch {
		case hostname == listener:
			effective = hostname
		case isWildcard(listener) && wildcardMatches(listener, hostname):
			effective = hostname
		case isWildcard(hostname) && wildcardMatches(hostname, listener):
			effective = listener
		}
		if effective != "" && !containsString(out, effective) {
			out = append(out, effective)
		}
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, item := range list {
		if item == s {
			return true
		}
	}
	return false
}

// compareHostnameSpecificity orders hostnames most specific first, the order in which
// the data plane tries listeners and virtual hosts: exact names, then wildcards with
// more labels before fewer ("*.a.example.com" before "*.example.com"), then "" (any).
// Ties are broken alphabetically so that the order is total.
func compareHostnameSpecificity(a, b string) int {
	if c := cmp.Compare(hostnameRank(a), hostnameRank(b)); c != 0 {
		return c
	}
	if isWildcard(a) {
		if c := cmp.Compare(strings.Count(b, "."), strings.Count(a, ".")); c != 0 {
			return c
		}
		if c := cmp.Compare(len(b), len(a)); c != 0 {
			return c
		}
	}
	return cmp.Compare(a, b)
}

func hostnameRank(hostname string) int {
	switch {
	case hostname == "":
		return 2
	case isWildcard(hostname):
		return 1
	default:
		return 0
	}
}
