package compiler

import (
	"cmp"
	"slices"

	"k8s.io/apimachinery/pkg/types"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// compiler is the state of one Compile call. Nothing outlives the call except the
// snapshot and the report it returns.
type compiler struct {
	controllerName gwapiv1.GatewayController
	binder         Binder
	ix             *index

	acceptedClasses map[string]bool
	gateways        []*gatewayState // oldest first
	gatewaysByKey   map[types.NamespacedName]*gatewayState
	sockets         map[string]*snapshot.Listener // by Listener.Key()
	socketMembers   map[string][]*listenerState   // by Listener.Key(), in claim order

	rateLimitPolicies []*rateLimitPolicyState // oldest first
	authPolicies      []*authPolicyState      // oldest first

	report Report
}

// Compile turns the objects Turnpike watches into the data-plane snapshot and the
// status every object of ours should have. It is a pure function of its input: the
// same objects, in any order, give the same result, and the objects are never
// modified (they are shared with the informer caches).
func Compile(in Input) (*snapshot.Snapshot, Report) {
	compiledExpressions.beginCompile()
	c := &compiler{
		controllerName:  in.ControllerName,
		binder:          in.Binder,
		ix:              newIndex(in),
		acceptedClasses: map[string]bool{},
		gatewaysByKey:   map[types.NamespacedName]*gatewayState{},
		sockets:         map[string]*snapshot.Listener{},
		socketMembers:   map[string][]*listenerState{},
		report: Report{
			GatewayClasses: map[string]*GatewayClassResult{},
			Gateways:       map[types.NamespacedName]*GatewayResult{},
			HTTPRoutes:     map[types.NamespacedName]*HTTPRouteResult{},

			RateLimitPolicies: map[types.NamespacedName]*PolicyResult{},
			AuthPolicies:      map[types.NamespacedName]*PolicyResult{},
		},
	}
	if c.controllerName == "" {
		c.controllerName = ControllerName
	}
	if c.binder == nil {
		c.binder = ListenerPortBinder{}
	}
	if b, ok := c.binder.(InputBinder); ok {
		// A binder whose choices depend on other objects (the per-Gateway
		// Services) sees this compile's input, and only it.
		in.ControllerName = c.controllerName
		c.binder = b.ForInput(in)
	}

	c.compileGatewayClasses(in.GatewayClasses, in.ConfigMaps)
	c.compileGateways(in.Gateways, in.Secrets)
	c.assignSockets()
	c.compileHTTPRoutes(in.HTTPRoutes)
	c.compileRateLimitPolicies(in)
	c.applyRateLimitPolicies()
	c.compileAuthPolicies(in)
	c.applyAuthPolicies()
	for _, gw := range c.gateways {
		c.report.Gateways[gw.key] = gw.result()
	}
	for _, p := range c.rateLimitPolicies {
		c.report.RateLimitPolicies[p.key] = p.result(c.controllerName)
	}
	for _, p := range c.authPolicies {
		c.report.AuthPolicies[p.key] = p.result(c.controllerName)
	}
	return c.buildSnapshot(), c.report
}

// buildSnapshot puts the served listeners' virtual hosts in order. Every list is
// sorted here, so the order of the input never shows in the snapshot.
func (c *compiler) buildSnapshot() *snapshot.Snapshot {
	snap := &snapshot.Snapshot{Listeners: make([]*snapshot.Listener, 0, len(c.sockets))}
	for _, key := range sortedKeys(c.sockets) {
		socket := c.sockets[key]
		members := c.socketMembers[key]
		slices.SortFunc(members, func(a, b *listenerState) int {
			if c := compareHostnameSpecificity(a.hostname, b.hostname); c != 0 {
				return c
			}
			// Equal hostnames never share a socket; this only makes the order total.
			if c := compareNamespacedName(a.gateway.key, b.gateway.key); c != 0 {
				return c
			}
			return cmp.Compare(a.spec.Name, b.spec.Name)
		})
		socket.GatewayListeners = socket.GatewayListeners[:0]
		for _, l := range members {
			l.served.VirtualHosts = buildVirtualHosts(l.virtualHosts)
			socket.GatewayListeners = append(socket.GatewayListeners, l.served)
		}
		snap.Listeners = append(snap.Listeners, socket)
	}
	return snap
}

func buildVirtualHosts(byHostname map[string][]*compiledMatch) []*snapshot.VirtualHost {
	hostnames := sortedKeys(byHostname)
	slices.SortFunc(hostnames, compareHostnameSpecificity)
	virtualHosts := make([]*snapshot.VirtualHost, 0, len(hostnames))
	for _, hostname := range hostnames {
		virtualHosts = append(virtualHosts, &snapshot.VirtualHost{
			Hostname: hostname,
			Routes:   sortedRoutes(byHostname[hostname]),
		})
	}
	return virtualHosts
}
