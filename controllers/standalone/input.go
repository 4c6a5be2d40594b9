package standalone

import (
	"cmp"
	"crypto/sha256"
	"fmt"
	"maps"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	tpv1a1 "github.com/turnpike-gateway/turnpike/api/v1alpha1"
	"github.com/turnpike-gateway/turnpike/controllers/compiler"
)

// uidFor derives a uid from an object's identity, formatted like the random ones of
// an API server. The same object gets the same uid in every run and on every replica
// of a standalone deployment, so anything keyed by uid (rate-limit counters) survives
// a restart.
func uidFor(key objectKey) types.UID {
	sum := sha256.Sum256([]byte(key.Group + "/" + key.Kind + "/" + key.Namespace + "/" + key.Name))
	sum[6] = sum[6]&0x0f | 0x80 // version 8: custom
	sum[8] = sum[8]&0x3f | 0x80 // RFC 4122 variant
	return types.UID(fmt.Sprintf("%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16]))
}

// updateImplicitNamespaces makes sure every namespace in use, and "default", exists
// as a Namespace, as it must in a cluster: allowedRoutes selectors match on
// Namespace labels. A namespace a file declares replaces the implicit one. The caller
// holds s.mu.
func (s *Source) updateImplicitNamespaces() {
	inUse := map[string]bool{metav1.NamespaceDefault: true}
	declared := map[string]bool{}
	for key := range s.objects {
		if key.Namespace != "" {
			inUse[key.Namespace] = true
		}
		if key.GroupKind == namespaceGVK.GroupKind() {
			declared[key.Name] = true
		}
	}
	implicit := make(map[string]*storedObject, len(inUse))
	for _, name := range slices.Sorted(maps.Keys(inUse)) { // sorted: stable resourceVersions
		if declared[name] {
			continue
		}
		if existing := s.implicitNamespaces[name]; existing != nil {
			implicit[name] = existing
			continue
		}
		namespace := &corev1.Namespace{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: metav1.ObjectMeta{Name: name},
		}
		defaultNamespace(namespace)
		key := objectKey{GroupKind: namespaceGVK.GroupKind(), Name: name}
		s.setServerFields(namespace, key, 1, metav1.NewTime(s.now().Truncate(time.Second)))
		implicit[name] = &storedObject{obj: namespace}
	}
	s.implicitNamespaces = implicit
}

// input assembles the compiler input from the objects in use, sorted by kind,
// namespace and name so that equal states give equal inputs. The caller holds s.mu.
func (s *Source) input() compiler.Input {
	var input compiler.Input
	keys := slices.SortedFunc(maps.Keys(s.objects), compareKeys)
	for _, key := range keys {
		switch obj := s.objects[key].obj.(type) {
		case *gwapiv1.GatewayClass:
			input.GatewayClasses = append(input.GatewayClasses, obj)
		case *gwapiv1.Gateway:
			input.Gateways = append(input.Gateways, obj)
		case *gwapiv1.HTTPRoute:
			input.HTTPRoutes = append(input.HTTPRoutes, obj)
		case *gwapiv1.ReferenceGrant:
			input.ReferenceGrants = append(input.ReferenceGrants, obj)
		case *corev1.Service:
			input.Services = append(input.Services, obj)
		case *discoveryv1.EndpointSlice:
			input.EndpointSlices = append(input.EndpointSlices, obj)
		case *corev1.Secret:
			input.Secrets = append(input.Secrets, obj)
		case *corev1.Namespace:
			input.Namespaces = append(input.Namespaces, obj)
		case *tpv1a1.RateLimitPolicy:
			input.RateLimitPolicies = append(input.RateLimitPolicies, obj)
		case *tpv1a1.AuthPolicy:
			input.AuthPolicies = append(input.AuthPolicies, obj)
		default:
			panic(fmt.Sprintf("standalone: served kind %T has no place in compiler.Input", obj))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(s.implicitNamespaces)) {
		input.Namespaces = append(input.Namespaces, s.implicitNamespaces[name].obj.(*corev1.Namespace))
	}
	slices.SortFunc(input.Namespaces, func(a, b *corev1.Namespace) int { return cmp.Compare(a.Name, b.Name) })
	return input
}

func compareKeys(a, b objectKey) int {
	return cmp.Or(
		cmp.Compare(a.Group, b.Group),
		cmp.Compare(a.Kind, b.Kind),
		cmp.Compare(a.Namespace, b.Namespace),
		cmp.Compare(a.Name, b.Name),
	)
}
