package compiler

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	tpv1a1 "github.com/turnpike-gateway/turnpike/api/v1alpha1"
)

// ControllerName is the GatewayClass spec.controllerName that Turnpike serves.
const ControllerName gwapiv1.GatewayController = "turnpike.dev/gateway-controller"

// Input is everything the compiler reads. Slices may be in any order; Compile sorts
// what it needs so that the same objects always give the same snapshot. Objects are
// read-only: they are shared with informer caches.
type Input struct {
	// ControllerName selects the GatewayClasses to serve; ControllerName when empty.
	ControllerName gwapiv1.GatewayController
	// Binder decides where each Gateway's listeners bind and which addresses its
	// status reports; ListenerPortBinder{} when nil.
	Binder Binder

	GatewayClasses  []*gwapiv1.GatewayClass
	Gateways        []*gwapiv1.Gateway
	HTTPRoutes      []*gwapiv1.HTTPRoute
	ReferenceGrants []*gwapiv1.ReferenceGrant
	Services        []*corev1.Service
	EndpointSlices  []*discoveryv1.EndpointSlice
	Secrets         []*corev1.Secret
	// Namespaces are needed for allowedRoutes.namespaces.from=Selector.
	Namespaces []*corev1.Namespace
	// ConfigMaps hold the parameters GatewayClasses name in parametersRef
	// (ServiceParameters); others are ignored. Standalone mode reads none, so its
	// Input dumps leave the field out when empty.
	ConfigMaps []*corev1.ConfigMap `json:",omitempty"`

	// RateLimitPolicies are compiled into the RateLimits of the routes they apply to.
	RateLimitPolicies []*tpv1a1.RateLimitPolicy
	// AuthPolicies are compiled into the Auth of the routes they apply to; the
	// Secrets they select (API keys, CA certificates, client credentials) are read
	// from Secrets.
	AuthPolicies []*tpv1a1.AuthPolicy
	// LastValidAuthPolicies holds, by key, the last version of each AuthPolicy that
	// was Accepted, as the caller remembers it (the compile loop keeps the object of
	// the last report that said Accepted=True). When a policy is Invalid and its
	// last valid version has the same UID, that version is enforced in its place;
	// with none, the policy fails closed: the routes where it applies refuse every
	// request. Nil is a process that remembers nothing (a first compile, --check).
	// It is not configuration, so it is left out of Input's JSON (standalone
	// mode's tests and debugging dump Inputs).
	LastValidAuthPolicies map[types.NamespacedName]*tpv1a1.AuthPolicy `json:"-"`
}

// Report is the status the compiled objects should have. Conditions carry
// ObservedGeneration and leave LastTransitionTime zero: the status writer merges them
// by type into what is stored, keeping the transition time of unchanged conditions.
// Only objects that belong to Turnpike appear (GatewayClasses with our controller
// name, their Gateways, and HTTPRoutes with at least one parentRef to such a Gateway).
type Report struct {
	GatewayClasses map[string]*GatewayClassResult            `json:"gatewayClasses,omitempty"`
	Gateways       map[types.NamespacedName]*GatewayResult   `json:"gateways,omitempty"`
	HTTPRoutes     map[types.NamespacedName]*HTTPRouteResult `json:"httpRoutes,omitempty"`
	// RateLimitPolicies has every RateLimitPolicy of the input: the kind is ours, so
	// its status is always ours to write.
	RateLimitPolicies map[types.NamespacedName]*PolicyResult `json:"rateLimitPolicies,omitempty"`
	// AuthPolicies has every AuthPolicy of the input, likewise.
	AuthPolicies map[types.NamespacedName]*PolicyResult `json:"authPolicies,omitempty"`
}

// PolicyResult is the desired status of one policy: Kuadrant's top-level conditions
// and the Gateway API's per-ancestor conditions.
type PolicyResult struct {
	Generation int64                          `json:"generation"`
	Conditions []metav1.Condition             `json:"conditions"`
	Ancestors  []gwapiv1.PolicyAncestorStatus `json:"ancestors,omitempty"`
	// Sockets maps each Gateway ("namespace/name") where the policy's rules are in
	// force to the snapshot.Listener Keys they are served on, so that
	// ApplyPublishResult can take back Enforced where none of them could be bound.
	Sockets map[string][]string `json:"sockets,omitempty"`
}

// GatewayClassResult is the desired status of one GatewayClass.
type GatewayClassResult struct {
	Generation        int64                      `json:"generation"`
	Conditions        []metav1.Condition         `json:"conditions"`
	SupportedFeatures []gwapiv1.SupportedFeature `json:"supportedFeatures,omitempty"`
}

// GatewayResult is the desired status of one Gateway.
type GatewayResult struct {
	Generation int64                          `json:"generation"`
	Conditions []metav1.Condition             `json:"conditions"`
	Addresses  []gwapiv1.GatewayStatusAddress `json:"addresses,omitempty"`
	Listeners  []gwapiv1.ListenerStatus       `json:"listeners,omitempty"`
	// Sockets maps a listener name to the snapshot.Listener Key it is served on, so
	// that a socket that fails to bind can be reported on its listeners
	// (see ApplyPublishResult).
	Sockets map[gwapiv1.SectionName]string `json:"sockets,omitempty"`
}

// HTTPRouteResult is the desired status of one HTTPRoute: one entry per parentRef
// that names a Turnpike Gateway. Entries of other controllers are the status
// writer's to keep.
type HTTPRouteResult struct {
	Generation int64                       `json:"generation"`
	Parents    []gwapiv1.RouteParentStatus `json:"parents"`
}

// Binding is where one Gateway's listeners bind and what its status publishes.
type Binding struct {
	// IP to bind; empty means every interface.
	IP string
	// Addresses are published in status.addresses.
	Addresses []gwapiv1.GatewayStatusAddress
}

// Binder is the binding strategy of a run mode (standalone, in cluster, address
// pool). It must be deterministic: the same Gateway always gets the same Binding.
type Binder interface {
	// Bind returns the Gateway's Binding, or a condition reason and message saying
	// why its addresses cannot be used (the Gateway is then not Programmed).
	Bind(gw *gwapiv1.Gateway) (Binding, *BindError)
	// Port maps a listener port to the port the data plane binds.
	Port(gw *gwapiv1.Gateway, listenerPort gwapiv1.PortNumber) int32
}

// BindError says why a Gateway's addresses cannot be used.
type BindError struct {
	// Reason is a Gateway API condition reason such as UnsupportedAddress or
	// AddressNotUsable.
	Reason  gwapiv1.GatewayConditionReason
	Message string
}
