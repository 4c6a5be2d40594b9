package integration

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

func TestGatewayClassAccepted(t *testing.T) {
	ensureClass(t)
	eventually(t, "GatewayClass accepted", func() error {
		gc := &gwapiv1.GatewayClass{}
		if err := k8s.Get(context.Background(), client.ObjectKey{Name: className}, gc); err != nil {
			return err
		}
		return conditionIs(gc.Status.Conditions, "Accepted", metav1.ConditionTrue, "Accepted", gc.Generation)
	})
}

func TestForeignGatewayClassIsLeftAlone(t *testing.T) {
	t.Parallel()
	foreign := &gwapiv1.GatewayClass{
		ObjectMeta: metav1.ObjectMeta{Name: "someone-else"},
		Spec:       gwapiv1.GatewayClassSpec{ControllerName: "example.com/other-controller"},
	}
	create(t, foreign)
	ns := newNamespace(t, nil)
	port := freshPort()
	gw := gateway(ns, "gw", port, gwapiv1.NamespacesFromSame)
	gw.Spec.GatewayClassName = "someone-else"
	create(t, gw)
	// A Gateway of ours created afterwards proves the loop compiled past the foreign one.
	ensureClass(t)
	marker := gateway(ns, "marker", freshPort(), gwapiv1.NamespacesFromSame)
	create(t, marker)
	eventually(t, "marker Gateway programmed", func() error {
		got, err := getGateway(ns, "marker")
		if err != nil {
			return err
		}
		return conditionIs(got.Status.Conditions, "Programmed", metav1.ConditionTrue, "Programmed", got.Generation)
	})
	if l := listenerOn(publisher.Latest(), port); l != nil {
		t.Errorf("a Gateway of another controller's class is served: %+v", l)
	}
	got, err := getGateway(ns, "gw")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range got.Status.Conditions {
		if c.Reason != "Pending" {
			t.Errorf("Turnpike wrote status on a foreign Gateway: %+v", c)
		}
	}
}

// TestRouteToTraffic follows one route from the API server to the snapshot and back
// into status: the core promise of the spine.
func TestRouteToTraffic(t *testing.T) {
	t.Parallel()
	ensureClass(t)
	ns := newNamespace(t, nil)
	port := freshPort()
	create(t, gateway(ns, "gw", port, gwapiv1.NamespacesFromSame))
	create(t, service(ns, "web", 80))
	create(t, endpointSlice(ns, "web", true, "10.1.0.2", "10.1.0.1"))
	create(t, httpRoute(ns, "web", ns, "gw", []string{"web.example.com"}, "/app", backendRef{name: "web", port: 80}))

	eventually(t, "route in the snapshot with ready endpoints", func() error {
		routes := routesOf(publisher.Latest(), port, ns, "web")
		if len(routes) != 1 {
			return fmt.Errorf("got %d snapshot routes", len(routes))
		}
		r := routes[0]
		want := &snapshot.Backend{
			Name: ns + "/web:80", Weight: 1,
			Endpoints: []snapshot.Endpoint{{IP: "10.1.0.1", Port: 8080}, {IP: "10.1.0.2", Port: 8080}},
		}
		if len(r.Backends) != 1 {
			return fmt.Errorf("got %d backends", len(r.Backends))
		}
		if diff := cmp.Diff(want, r.Backends[0]); diff != "" {
			return fmt.Errorf("backend (-want +got):\n%s", diff)
		}
		if r.Path.Type != snapshot.PathPrefix || r.Path.Value != "/app" {
			return fmt.Errorf("path match %+v", r.Path)
		}
		return nil
	})
	eventually(t, "route status Accepted and ResolvedRefs", func() error {
		route, err := getRoute(ns, "web")
		if err != nil {
			return err
		}
		parent, err := ourParent(route)
		if err != nil {
			return err
		}
		if err := conditionIs(parent.Conditions, "Accepted", metav1.ConditionTrue, "Accepted", route.Generation); err != nil {
			return err
		}
		return conditionIs(parent.Conditions, "ResolvedRefs", metav1.ConditionTrue, "ResolvedRefs", route.Generation)
	})
	eventually(t, "Gateway programmed with one attached route and an address", func() error {
		gw, err := getGateway(ns, "gw")
		if err != nil {
			return err
		}
		for _, c := range []string{"Accepted", "Programmed"} {
			if err := conditionIs(gw.Status.Conditions, c, metav1.ConditionTrue, c, gw.Generation); err != nil {
				return err
			}
		}
		if len(gw.Status.Listeners) != 1 || gw.Status.Listeners[0].AttachedRoutes != 1 {
			return fmt.Errorf("listener status %+v", gw.Status.Listeners)
		}
		if len(gw.Status.Addresses) != 1 || gw.Status.Addresses[0].Value != "192.0.2.10" {
			return fmt.Errorf("addresses %+v", gw.Status.Addresses)
		}
		return conditionIs(gw.Status.Listeners[0].Conditions, "Programmed", metav1.ConditionTrue, "Programmed", gw.Generation)
	})

	// Endpoints follow readiness: a slice whose endpoints turn unready empties the backend.
	slice := endpointSlice(ns, "web", false, "10.1.0.1", "10.1.0.2")
	current := endpointSlice(ns, "web", true)
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(current), current); err != nil {
		t.Fatal(err)
	}
	current.Endpoints = slice.Endpoints
	if err := k8s.Update(context.Background(), current); err != nil {
		t.Fatal(err)
	}
	eventually(t, "unready endpoints leave the snapshot", func() error {
		routes := routesOf(publisher.Latest(), port, ns, "web")
		if len(routes) != 1 || len(routes[0].Backends) != 1 {
			return fmt.Errorf("route missing")
		}
		if n := len(routes[0].Backends[0].Endpoints); n != 0 {
			return fmt.Errorf("still %d endpoints", n)
		}
		return nil
	})

	// Deleting the route removes it from the snapshot and from attachedRoutes.
	if err := k8s.Delete(context.Background(), &gwapiv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "deleted route leaves the snapshot", func() error {
		if routes := routesOf(publisher.Latest(), port, ns, "web"); len(routes) != 0 {
			return fmt.Errorf("still %d routes", len(routes))
		}
		gw, err := getGateway(ns, "gw")
		if err != nil {
			return err
		}
		if len(gw.Status.Listeners) != 1 || gw.Status.Listeners[0].AttachedRoutes != 0 {
			return fmt.Errorf("listener status %+v", gw.Status.Listeners)
		}
		return nil
	})
}

func TestMissingBackendIsReportedAndOthersKeepServing(t *testing.T) {
	t.Parallel()
	ensureClass(t)
	ns := newNamespace(t, nil)
	port := freshPort()
	create(t, gateway(ns, "gw", port, gwapiv1.NamespacesFromSame))
	create(t, service(ns, "good", 80))
	create(t, endpointSlice(ns, "good", true, "10.2.0.1"))
	create(t, httpRoute(ns, "good", ns, "gw", nil, "/good", backendRef{name: "good", port: 80}))
	create(t, httpRoute(ns, "broken", ns, "gw", nil, "/broken", backendRef{name: "missing", port: 80}))

	eventually(t, "broken route reports BackendNotFound", func() error {
		route, err := getRoute(ns, "broken")
		if err != nil {
			return err
		}
		parent, err := ourParent(route)
		if err != nil {
			return err
		}
		if err := conditionIs(parent.Conditions, "ResolvedRefs", metav1.ConditionFalse, "BackendNotFound", route.Generation); err != nil {
			return err
		}
		for _, c := range parent.Conditions {
			if c.Type == "ResolvedRefs" && c.Message == "" {
				return errors.New("ResolvedRefs=False has no message")
			}
		}
		return nil
	})
	eventually(t, "both routes in the snapshot; the broken one with an invalid backend", func() error {
		good := routesOf(publisher.Latest(), port, ns, "good")
		broken := routesOf(publisher.Latest(), port, ns, "broken")
		if len(good) != 1 || len(broken) != 1 {
			return fmt.Errorf("good=%d broken=%d routes", len(good), len(broken))
		}
		if len(good[0].Backends) != 1 || len(good[0].Backends[0].Endpoints) != 1 {
			return fmt.Errorf("good route backends %+v", good[0].Backends)
		}
		if len(broken[0].Backends) != 1 || broken[0].Backends[0].Invalid == "" {
			return fmt.Errorf("broken route backends %+v", broken[0].Backends)
		}
		return nil
	})
}

func TestCrossNamespaceBackendNeedsReferenceGrant(t *testing.T) {
	t.Parallel()
	ensureClass(t)
	routeNS := newNamespace(t, nil)
	backendNS := newNamespace(t, nil)
	port := freshPort()
	create(t, gateway(routeNS, "gw", port, gwapiv1.NamespacesFromSame))
	create(t, service(backendNS, "api", 8000))
	create(t, endpointSlice(backendNS, "api", true, "10.3.0.1"))
	create(t, httpRoute(routeNS, "api", routeNS, "gw", nil, "/", backendRef{namespace: backendNS, name: "api", port: 8000}))

	resolved := func(status metav1.ConditionStatus, reason string) func() error {
		return func() error {
			route, err := getRoute(routeNS, "api")
			if err != nil {
				return err
			}
			parent, err := ourParent(route)
			if err != nil {
				return err
			}
			return conditionIs(parent.Conditions, "ResolvedRefs", status, reason, route.Generation)
		}
	}
	eventually(t, "RefNotPermitted without a grant", resolved(metav1.ConditionFalse, "RefNotPermitted"))

	create(t, &gwapiv1.ReferenceGrant{
		ObjectMeta: metav1.ObjectMeta{Namespace: backendNS, Name: "allow-routes"},
		Spec: gwapiv1.ReferenceGrantSpec{
			From: []gwapiv1.ReferenceGrantFrom{{Group: gwapiv1.GroupName, Kind: "HTTPRoute", Namespace: gwapiv1.Namespace(routeNS)}},
			To:   []gwapiv1.ReferenceGrantTo{{Group: "", Kind: "Service"}},
		},
	})
	eventually(t, "resolved once the grant exists", resolved(metav1.ConditionTrue, "ResolvedRefs"))
	eventually(t, "backend endpoints in the snapshot", func() error {
		routes := routesOf(publisher.Latest(), port, routeNS, "api")
		if len(routes) != 1 || len(routes[0].Backends) != 1 || len(routes[0].Backends[0].Endpoints) != 1 {
			return fmt.Errorf("routes %+v", routes)
		}
		return nil
	})
}

func TestAllowedRoutesSelector(t *testing.T) {
	t.Parallel()
	ensureClass(t)
	gwNS := newNamespace(t, nil)
	allowed := newNamespace(t, map[string]string{"team": "allowed"})
	denied := newNamespace(t, nil)
	port := freshPort()
	gw := gateway(gwNS, "gw", port, gwapiv1.NamespacesFromSelector)
	gw.Spec.Listeners[0].AllowedRoutes.Namespaces.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"team": "allowed"}}
	create(t, gw)
	create(t, httpRoute(allowed, "r", gwNS, "gw", nil, "/a"))
	create(t, httpRoute(denied, "r", gwNS, "gw", nil, "/d"))

	accepted := func(ns string, status metav1.ConditionStatus, reason string) func() error {
		return func() error {
			route, err := getRoute(ns, "r")
			if err != nil {
				return err
			}
			parent, err := ourParent(route)
			if err != nil {
				return err
			}
			return conditionIs(parent.Conditions, "Accepted", status, reason, route.Generation)
		}
	}
	eventually(t, "route from the selected namespace accepted", accepted(allowed, metav1.ConditionTrue, "Accepted"))
	eventually(t, "route from another namespace not allowed", accepted(denied, metav1.ConditionFalse, "NotAllowedByListeners"))

	// Labelling the namespace later admits its route: namespace labels are watched.
	nsObj := &corev1.Namespace{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Name: denied}, nsObj); err != nil {
		t.Fatal(err)
	}
	nsObj.Labels = map[string]string{"team": "allowed"}
	if err := k8s.Update(context.Background(), nsObj); err != nil {
		t.Fatal(err)
	}
	eventually(t, "relabelled namespace's route accepted", accepted(denied, metav1.ConditionTrue, "Accepted"))
}

// TestStatusTellsTheTruthAboutBinding: a listener whose socket the data plane could
// not bind is not Programmed, whatever the compiler thought.
func TestStatusTellsTheTruthAboutBinding(t *testing.T) {
	t.Parallel()
	ensureClass(t)
	ns := newNamespace(t, nil)
	port := freshPort()
	publisher.FailBind(fmt.Sprintf(":%d", port), errors.New("listen tcp :18xxx: bind: address already in use"))
	create(t, gateway(ns, "gw", port, gwapiv1.NamespacesFromSame))
	eventually(t, "listener not programmed", func() error {
		gw, err := getGateway(ns, "gw")
		if err != nil {
			return err
		}
		if len(gw.Status.Listeners) != 1 {
			return fmt.Errorf("listeners %+v", gw.Status.Listeners)
		}
		if err := conditionIs(gw.Status.Listeners[0].Conditions, "Programmed", metav1.ConditionFalse, "Invalid", gw.Generation); err != nil {
			return err
		}
		return conditionIs(gw.Status.Conditions, "Programmed", metav1.ConditionFalse, "Invalid", gw.Generation)
	})
	// Once the port is free the socket binds without any object changing: the
	// loop retries by itself, and status follows.
	publisher.AllowBind(fmt.Sprintf(":%d", port))
	eventually(t, "listener programmed after the port became free", func() error {
		gw, err := getGateway(ns, "gw")
		if err != nil {
			return err
		}
		if len(gw.Status.Listeners) != 1 {
			return fmt.Errorf("listeners %+v", gw.Status.Listeners)
		}
		if err := conditionIs(gw.Status.Listeners[0].Conditions, "Programmed", metav1.ConditionTrue, "Programmed", gw.Generation); err != nil {
			return err
		}
		return conditionIs(gw.Status.Conditions, "Programmed", metav1.ConditionTrue, "Programmed", gw.Generation)
	})
}

// TestOtherControllersParentStatusIsKept: Turnpike shares HTTPRoute status with other
// implementations and must never drop their entries.
func TestOtherControllersParentStatusIsKept(t *testing.T) {
	t.Parallel()
	ensureClass(t)
	ns := newNamespace(t, nil)
	port := freshPort()
	create(t, gateway(ns, "gw", port, gwapiv1.NamespacesFromSame))
	route := httpRoute(ns, "shared", ns, "gw", nil, "/")
	route.Spec.ParentRefs = append(route.Spec.ParentRefs, gwapiv1.ParentReference{Name: "elsewhere"})
	create(t, route)
	foreign := gwapiv1.RouteParentStatus{
		ParentRef:      gwapiv1.ParentReference{Name: "elsewhere"},
		ControllerName: "example.com/other-controller",
		Conditions: []metav1.Condition{{
			Type: "Accepted", Status: metav1.ConditionTrue, Reason: "Accepted",
			ObservedGeneration: 1, LastTransitionTime: metav1.Now(),
		}},
	}
	eventually(t, "foreign parent status written", func() error {
		current, err := getRoute(ns, "shared")
		if err != nil {
			return err
		}
		current.Status.Parents = append(current.Status.Parents, foreign)
		return k8s.Status().Update(context.Background(), current)
	})
	// Change the route so that Turnpike must write its own entry again.
	eventually(t, "route updated", func() error {
		current, err := getRoute(ns, "shared")
		if err != nil {
			return err
		}
		current.Spec.Hostnames = []gwapiv1.Hostname{"shared.example.com"}
		return k8s.Update(context.Background(), current)
	})
	eventually(t, "both entries present, ours at the new generation", func() error {
		current, err := getRoute(ns, "shared")
		if err != nil {
			return err
		}
		parent, err := ourParent(current)
		if err != nil {
			return err
		}
		if err := conditionIs(parent.Conditions, "Accepted", metav1.ConditionTrue, "Accepted", current.Generation); err != nil {
			return err
		}
		for _, p := range current.Status.Parents {
			if p.ControllerName == foreign.ControllerName {
				return nil
			}
		}
		return fmt.Errorf("the other controller's entry was dropped: %+v", current.Status.Parents)
	})
}
