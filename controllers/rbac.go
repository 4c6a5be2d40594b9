package controllers

// The RBAC markers below are the single source of the permissions Turnpike needs;
// `make manifests` turns them into config/rbac/role.yaml (make test fails when that
// file is stale), and the Helm chart renders the same rules.

// +kubebuilder:rbac:groups=gateway.networking.k8s.io,resources=gatewayclasses;gateways;httproutes;referencegrants,verbs=get;list;watch
// +kubebuilder:rbac:groups=gateway.networking.k8s.io,resources=gatewayclasses/status;gateways/status;httproutes/status,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=services;secrets;namespaces;configmaps,verbs=get;list;watch
// +kubebuilder:rbac:groups=discovery.k8s.io,resources=endpointslices,verbs=get;list;watch
// +kubebuilder:rbac:groups=turnpike.dev,resources=ratelimitpolicies;authpolicies,verbs=get;list;watch
// +kubebuilder:rbac:groups=turnpike.dev,resources=ratelimitpolicies/status;authpolicies/status,verbs=get;update;patch

// The leader provisions one Service per Gateway, with an EndpointSlice listing
// Turnpike's pods (controllers/gatewayservice.go). RBAC cannot say "only the ones
// Turnpike owns", so the code does: it deletes only objects that carry its
// controller name and an ownerReference to the Gateway, by UID. Server-side apply
// needs patch, and create for an object that does not exist yet.
// +kubebuilder:rbac:groups="",resources=services,verbs=create;patch;delete
// +kubebuilder:rbac:groups=discovery.k8s.io,resources=endpointslices,verbs=create;patch;delete

// Leader election needs Leases in Turnpike's own namespace only, and records its
// transitions as Events there: a namespaced Role.
// +kubebuilder:rbac:groups=coordination.k8s.io,namespace=turnpike-system,resources=leases,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",namespace=turnpike-system,resources=events,verbs=create;patch

// The addresses of Turnpike's own pods back every Gateway's Service: pods are read
// in Turnpike's namespace only.
// +kubebuilder:rbac:groups="",namespace=turnpike-system,resources=pods,verbs=get;list;watch
