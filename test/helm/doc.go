// Package helm tests charts/turnpike, the Helm chart that runs `turnpike serve` in a
// cluster, with the real helm binary (hack/tools.sh helm): lint, golden renderings,
// the values schema, that the chart's RBAC and CRDs are the generated ones, a static
// build for the container image, and an install into a real kube-apiserver whose
// ServiceAccount permissions are then enough for the real binary to reconcile a
// Gateway and an HTTPRoute.
//
// It sits outside the pipeline: it drives the packaging of the whole binary.
package helm
