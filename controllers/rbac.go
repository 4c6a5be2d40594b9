package controllers

// The RBAC markers below are the single source of the permissions Turnpike needs;
// `make manifests` turns them into config/rbac/role.yaml (make test fails when that
// file is stale), and the Helm chart renders the same rules.

// +kubebuilder:rbac:groups=gateway.networking.k8s.io,resources=gatewayclasses;gateways;httproutes;referencegrants,verbs=get;list;watch
// +kubebuilder:rbac:groups=gateway.networking.k8s.io,resources=gatewayclasses/status;gateways/status;httproutes/status,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=services;secrets;namespaces,verbs=get;list;watch
// +kubebuilder:rbac:groups=discovery.k8s.io,resources=endpointslices,verbs=get;list;watch
// +kubebuilder:rbac:groups=turnpike.dev,resources=ratelimitpolicies;authpolicies,verbs=get;list;watch
// +kubebuilder:rbac:groups=turnpike.dev,resources=ratelimitpolicies/status;authpolicies/status,verbs=get;update;patch

// Leader election needs Leases in Turnpike's own namespace only, and records its
// transitions as Events there: a namespaced Role.
// +kubebuilder:rbac:groups=coordination.k8s.io,namespace=turnpike-system,resources=leases,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",namespace=turnpike-system,resources=events,verbs=create;patch
