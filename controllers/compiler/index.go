package compiler

import (
	"cmp"
	"slices"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// index holds the lookups the compiler needs, built once per Compile so that resolving
// ten thousand backendRefs does not scan every Service ten thousand times. It only
// points at the input objects; it never copies or changes them.
type index struct {
	services       map[types.NamespacedName]*corev1.Service
	endpointSlices map[types.NamespacedName][]*discoveryv1.EndpointSlice // by Service
	grants         map[string][]*gwapiv1.ReferenceGrant                  // by namespace
	namespaces     map[string]*corev1.Namespace

	// endpoints memoizes resolved endpoint lists by Service port: many routes point at
	// the same Service, and the resulting slices are immutable so they can be shared.
	endpoints map[endpointsKey][]snapshot.Endpoint
}

type endpointsKey struct {
	service  types.NamespacedName
	portName string
	protocol corev1.Protocol
}

func newIndex(in Input) *index {
	ix := &index{
		services:       make(map[types.NamespacedName]*corev1.Service, len(in.Services)),
		endpointSlices: make(map[types.NamespacedName][]*discoveryv1.EndpointSlice, len(in.EndpointSlices)),
		grants:         make(map[string][]*gwapiv1.ReferenceGrant),
		namespaces:     make(map[string]*corev1.Namespace, len(in.Namespaces)),
		endpoints:      make(map[endpointsKey][]snapshot.Endpoint),
	}
	for _, svc := range in.Services {
		if svc != nil {
			ix.services[types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name}] = svc
		}
	}
	for _, slice := range in.EndpointSlices {
		if slice == nil {
			continue
		}
		serviceName := slice.Labels[discoveryv1.LabelServiceName]
		if serviceName == "" {
			continue
		}
		key := types.NamespacedName{Namespace: slice.Namespace, Name: serviceName}
		ix.endpointSlices[key] = append(ix.endpointSlices[key], slice)
	}
	for _, grant := range in.ReferenceGrants {
		if grant != nil {
			ix.grants[grant.Namespace] = append(ix.grants[grant.Namespace], grant)
		}
	}
	for _, ns := range in.Namespaces {
		if ns != nil {
			ix.namespaces[ns.Name] = ns
		}
	}
	return ix
}

// byAgeThenName orders objects the way the Gateway API breaks ties: the oldest first,
// then alphabetically by namespace/name.
func byAgeThenName(aCreated, bCreated metav1.Time, aKey, bKey types.NamespacedName) int {
	if c := aCreated.Compare(bCreated.Time); c != 0 {
		return c
	}
	return compareNamespacedName(aKey, bKey)
}

func compareNamespacedName(a, b types.NamespacedName) int {
	if c := cmp.Compare(a.Namespace, b.Namespace); c != 0 {
		return c
	}
	return cmp.Compare(a.Name, b.Name)
}

// sortedKeys returns the keys of m in order, so that map iteration never decides the
// order of anything the compiler outputs.
func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
