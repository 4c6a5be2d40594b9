package layering

import (
	"fmt"
	"sort"
	"strings"
)

// Module is the project's module path.
const Module = "github.com/turnpike-gateway/turnpike"

// Package is what `go list -deps` says of one project package.
type Package struct {
	ImportPath string
	// Imports are the packages it imports directly.
	Imports []string
	// Deps are every package it depends on, transitively.
	Deps []string
	// Standard is true for standard-library packages.
	Standard bool
}

// Rule forbids a set of packages to depend on some others, transitively.
type Rule struct {
	// Name is the row of the STYLE.md table the rule enforces.
	Name string
	// Applies selects the project packages the rule governs.
	Applies func(pkg string) bool
	// Forbidden reports whether a dependency breaks the rule; std tells whether the
	// dependency is a standard-library package.
	Forbidden func(dep string, std bool) bool
	// Direct limits the rule to direct imports; otherwise every transitive
	// dependency is checked.
	Direct bool
}

func under(prefix string) func(string) bool {
	full := Module + "/" + prefix
	return func(pkg string) bool { return pkg == full || strings.HasPrefix(pkg, full+"/") }
}

func isAny(prefixes ...string) func(string) bool {
	return func(pkg string) bool {
		for _, p := range prefixes {
			if pkg == p || strings.HasPrefix(pkg, p+"/") {
				return true
			}
		}
		return false
	}
}

var (
	kubernetes  = isAny("k8s.io", "sigs.k8s.io")
	fasthttp    = isAny("github.com/valyala/fasthttp")
	clients     = isAny("sigs.k8s.io/controller-runtime", "k8s.io/client-go")
	celGo       = isAny("github.com/google/cel-go")
	snapshotPkg = Module + "/dataplane/snapshot"
)

// Rules is STYLE.md §2 as code.
func Rules() []Rule {
	return []Rule{
		{
			Name:    "dataplane/snapshot imports only the standard library and cel-go",
			Applies: under("dataplane/snapshot"),
			Direct:  true,
			Forbidden: func(dep string, std bool) bool {
				return !std && !celGo(dep)
			},
		},
		{
			Name:    "dataplane/snapshot never depends on Kubernetes, fasthttp or other project packages",
			Applies: under("dataplane/snapshot"),
			Forbidden: func(dep string, _ bool) bool {
				return kubernetes(dep) || fasthttp(dep) || (strings.HasPrefix(dep, Module+"/") && dep != snapshotPkg)
			},
		},
		{
			Name:    "dataplane never imports k8s.io, sigs.k8s.io, api or controllers",
			Applies: under("dataplane"),
			Forbidden: func(dep string, _ bool) bool {
				return kubernetes(dep) || under("api")(dep) || under("controllers")(dep)
			},
		},
		{
			Name:    "the compiler never imports controller-runtime, client-go, fasthttp or dataplane beyond snapshot",
			Applies: under("controllers/compiler"),
			Forbidden: func(dep string, _ bool) bool {
				return clients(dep) || fasthttp(dep) ||
					(under("dataplane")(dep) && dep != snapshotPkg) ||
					(under("controllers")(dep) && !under("controllers/compiler")(dep))
			},
		},
		{
			Name:    "controllers never import dataplane beyond snapshot, nor fasthttp",
			Applies: under("controllers"),
			Forbidden: func(dep string, _ bool) bool {
				return fasthttp(dep) || (under("dataplane")(dep) && dep != snapshotPkg)
			},
		},
		{
			Name:    "api imports no project package and no client",
			Applies: under("api"),
			Forbidden: func(dep string, _ bool) bool {
				return (strings.HasPrefix(dep, Module+"/") && !under("api")(dep)) || clients(dep) || fasthttp(dep)
			},
		},
		{
			Name:    "only cmd wires: nothing imports cmd",
			Applies: func(pkg string) bool { return strings.HasPrefix(pkg, Module+"/") && !under("cmd")(pkg) },
			Forbidden: func(dep string, _ bool) bool {
				return under("cmd")(dep)
			},
		},
	}
}

// Check returns one line per broken rule and offending dependency, sorted.
func Check(pkgs []Package, rules []Rule) []string {
	std := map[string]bool{}
	for _, p := range pkgs {
		if p.Standard {
			std[p.ImportPath] = true
		}
	}
	var violations []string
	for _, p := range pkgs {
		if p.Standard {
			continue
		}
		for _, rule := range rules {
			if !rule.Applies(p.ImportPath) {
				continue
			}
			deps := p.Deps
			if rule.Direct {
				deps = p.Imports
			}
			for _, dep := range deps {
				if rule.Forbidden(dep, std[dep]) {
					violations = append(violations, fmt.Sprintf("%s depends on %s: breaks %q", p.ImportPath, dep, rule.Name))
				}
			}
		}
	}
	sort.Strings(violations)
	return violations
}
