package standalone

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/turnpike-gateway/turnpike/controllers/compiler"
)

// objectNames lists every object of an Input as "Kind namespace/name", sorted.
func objectNames(input compiler.Input) []string {
	var names []string
	add := func(kind, namespace, name string) {
		if namespace == "" {
			names = append(names, kind+" "+name)
		} else {
			names = append(names, kind+" "+namespace+"/"+name)
		}
	}
	for _, o := range input.GatewayClasses {
		add("GatewayClass", o.Namespace, o.Name)
	}
	for _, o := range input.Gateways {
		add("Gateway", o.Namespace, o.Name)
	}
	for _, o := range input.HTTPRoutes {
		add("HTTPRoute", o.Namespace, o.Name)
	}
	for _, o := range input.ReferenceGrants {
		add("ReferenceGrant", o.Namespace, o.Name)
	}
	for _, o := range input.Services {
		add("Service", o.Namespace, o.Name)
	}
	for _, o := range input.EndpointSlices {
		add("EndpointSlice", o.Namespace, o.Name)
	}
	for _, o := range input.Secrets {
		add("Secret", o.Namespace, o.Name)
	}
	for _, o := range input.Namespaces {
		add("Namespace", o.Namespace, o.Name)
	}
	for _, o := range input.RateLimitPolicies {
		add("RateLimitPolicy", o.Namespace, o.Name)
	}
	for _, o := range input.AuthPolicies {
		add("AuthPolicy", o.Namespace, o.Name)
	}
	return sortedStrings(names)
}

func sortedStrings(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func namespaceNames(input compiler.Input) []string {
	var names []string
	for _, namespace := range input.Namespaces {
		names = append(names, namespace.Name)
	}
	return names
}

func findService(t *testing.T, input compiler.Input, namespace, name string) *corev1.Service {
	t.Helper()
	for _, service := range input.Services {
		if service.Namespace == namespace && service.Name == name {
			return service
		}
	}
	t.Fatalf("Service %s/%s not loaded; objects: %v", namespace, name, objectNames(input))
	return nil
}

// writeFile writes a file under dir, creating parent directories.
func writeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	path := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
