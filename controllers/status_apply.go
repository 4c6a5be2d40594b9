package controllers

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	tpv1a1 "github.com/turnpike-gateway/turnpike/api/v1alpha1"
	"github.com/turnpike-gateway/turnpike/controllers/compiler"
)

// ApplyReport returns copies of objs carrying the status the leader's StatusWriter
// would write for report, merged by the same functions, with now as the time of
// every condition transition. It exists so that tools which judge Turnpike's status
// (the Argo CD health checks under config/argocd, tested in test/argocd) can be fed
// exactly what Turnpike writes, without an API server. objs are not modified; an
// object the report says nothing about, or of a kind Turnpike writes no status on,
// comes back as an unchanged copy. An empty controllerName means
// compiler.ControllerName, as in NewStatusWriter.
func ApplyReport(report *compiler.Report, controllerName gwapiv1.GatewayController, now metav1.Time, objs ...client.Object) []client.Object {
	if controllerName == "" {
		controllerName = compiler.ControllerName
	}
	w := &StatusWriter{controllerName: controllerName, now: func() metav1.Time { return now }}
	out := make([]client.Object, 0, len(objs))
	for _, original := range objs {
		obj, ok := original.DeepCopyObject().(client.Object)
		if !ok {
			panic("ApplyReport: DeepCopyObject of a client.Object is not a client.Object") // programmer error
		}
		if report != nil {
			w.applyTo(obj, report)
		}
		out = append(out, obj)
	}
	return out
}

// applyTo merges report into obj and reports whether its status changed. It is the
// one place that knows which result belongs to which kind: the StatusWriter writes
// through it, and ApplyReport uses it without an API server. Gateways,
// GatewayClasses and policies change only when the report names them; HTTPRoutes
// also when they hold parent entries of ours that must be taken back.
func (w *StatusWriter) applyTo(obj client.Object, report *compiler.Report) bool {
	key := client.ObjectKeyFromObject(obj)
	switch typed := obj.(type) {
	case *gwapiv1.GatewayClass:
		if res := report.GatewayClasses[typed.Name]; res != nil {
			return w.mergeGatewayClass(typed, res)
		}
	case *gwapiv1.Gateway:
		if res := report.Gateways[key]; res != nil {
			return w.mergeGateway(typed, res)
		}
	case *gwapiv1.HTTPRoute:
		res := report.HTTPRoutes[key]
		if res != nil || hasParentsOf(typed.Status.Parents, w.controllerName) {
			return w.mergeHTTPRoute(typed, res)
		}
	case *tpv1a1.RateLimitPolicy:
		if res := report.RateLimitPolicies[key]; res != nil {
			return w.mergePolicy(&typed.Status, res)
		}
	case *tpv1a1.AuthPolicy:
		if res := report.AuthPolicies[key]; res != nil {
			return w.mergePolicy(&typed.Status, res)
		}
	}
	return false
}
