package argocd

import (
	"bytes"
	"fmt"
	"os"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	tpv1a1 "github.com/turnpike-gateway/turnpike/api/v1alpha1"
	"github.com/turnpike-gateway/turnpike/controllers/compiler"
)

// cluster is a set of objects as Turnpike would read them: the compiler's Input,
// and the objects it writes status on, in file order.
type cluster struct {
	input   compiler.Input
	objects []client.Object
}

// loadCluster reads a multi-document YAML file the way the compiler's golden tests
// do (controllers/compiler/compile_test.go): documents split on "---", comments
// dropped, each decoded strictly by its kind so that a typo fails loudly.
func loadCluster(path string) (cluster, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return cluster{}, fmt.Errorf("read cluster: %w", err)
	}
	var c cluster
	for i, doc := range splitDocuments(data) {
		var meta struct {
			Kind string `json:"kind"`
		}
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			return cluster{}, fmt.Errorf("%s document %d: %w", path, i, err)
		}
		var obj client.Object
		switch meta.Kind {
		case "GatewayClass":
			typed := &gwapiv1.GatewayClass{}
			c.input.GatewayClasses = append(c.input.GatewayClasses, typed)
			obj = typed
		case "Gateway":
			typed := &gwapiv1.Gateway{}
			c.input.Gateways = append(c.input.Gateways, typed)
			obj = typed
		case "HTTPRoute":
			typed := &gwapiv1.HTTPRoute{}
			c.input.HTTPRoutes = append(c.input.HTTPRoutes, typed)
			obj = typed
		case "Service":
			typed := &corev1.Service{}
			c.input.Services = append(c.input.Services, typed)
			obj = typed
		case "RateLimitPolicy":
			typed := &tpv1a1.RateLimitPolicy{}
			c.input.RateLimitPolicies = append(c.input.RateLimitPolicies, typed)
			obj = typed
		case "AuthPolicy":
			typed := &tpv1a1.AuthPolicy{}
			c.input.AuthPolicies = append(c.input.AuthPolicies, typed)
			obj = typed
		default:
			return cluster{}, fmt.Errorf("%s document %d: unknown kind %q", path, i, meta.Kind)
		}
		if err := yaml.UnmarshalStrict(doc, obj); err != nil {
			return cluster{}, fmt.Errorf("%s document %d (%s): %w", path, i, meta.Kind, err)
		}
		c.objects = append(c.objects, obj)
	}
	return c, nil
}

func splitDocuments(data []byte) [][]byte {
	var docs [][]byte
	for _, doc := range bytes.Split(data, []byte("\n---")) {
		if len(bytes.TrimSpace(stripComments(doc))) > 0 {
			docs = append(docs, doc)
		}
	}
	return docs
}

func stripComments(doc []byte) []byte {
	var out []byte
	for _, line := range bytes.Split(doc, []byte("\n")) {
		if !bytes.HasPrefix(bytes.TrimSpace(line), []byte("#")) {
			out = append(append(out, line...), '\n')
		}
	}
	return out
}
