package compiler

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Marks of a per-Gateway Service that Turnpike owns. The label is for people and
// selectors; ownership is the annotation naming our controller plus a controller
// ownerReference to the Gateway, so that two Turnpike installations (two
// controller names) never take each other's Services for their own.
const (
	LabelManagedBy             = "app.kubernetes.io/managed-by"
	ManagedByTurnpike          = "turnpike"
	AnnotationControllerName   = "turnpike.dev/controller-name"
	LabelGatewayName           = "gateway.networking.k8s.io/gateway-name"
	GatewayServiceNamePrefix   = "turnpike-"
	maxServiceNameLength       = 63
	gatewayServiceHashLength   = 8
	gatewayAPIGroupVersionBase = "gateway.networking.k8s.io/"
)

// PortRange is the range of container ports the data plane binds for the listeners
// of Gateways exposed through per-Gateway Services.
type PortRange struct {
	First, Last int32
}

// DefaultPortRange is unprivileged, and clear of the admin port's default (9901).
var DefaultPortRange = PortRange{First: 10000, Last: 19999}

// ParsePortRange reads "FIRST-LAST", both unprivileged ports.
func ParsePortRange(value string) (PortRange, error) {
	first, last, found := strings.Cut(value, "-")
	if !found {
		return PortRange{}, fmt.Errorf("port range %q is not FIRST-LAST, such as 10000-19999", value)
	}
	a, errFirst := strconv.ParseInt(strings.TrimSpace(first), 10, 32)
	b, errLast := strconv.ParseInt(strings.TrimSpace(last), 10, 32)
	if errFirst != nil || errLast != nil {
		return PortRange{}, fmt.Errorf("port range %q is not FIRST-LAST, such as 10000-19999", value)
	}
	r := PortRange{First: int32(a), Last: int32(b)}
	if r.First < 1024 || r.Last > 65535 || r.First > r.Last {
		return PortRange{}, fmt.Errorf("port range %q must lie within 1024-65535 (unprivileged ports), first port first", value)
	}
	return r, nil
}

func (r PortRange) String() string { return fmt.Sprintf("%d-%d", r.First, r.Last) }

// Contains says whether port is in the range.
func (r PortRange) Contains(port int32) bool { return port >= r.First && port <= r.Last }

// GatewayServiceName is the name of a Gateway's Service, in the Gateway's
// namespace: "turnpike-<gateway>". A Gateway name may be longer than a Service name
// may be (63), or hold dots (a Service name may not): such names are cut and end
// with a hash of the whole Gateway name, so that two Gateways never share a name.
func GatewayServiceName(gatewayName string) string {
	name := GatewayServiceNamePrefix + strings.ReplaceAll(gatewayName, ".", "-")
	if len(name) <= maxServiceNameLength && !strings.Contains(gatewayName, ".") {
		return name
	}
	sum := sha256.Sum256([]byte(gatewayName))
	suffix := hex.EncodeToString(sum[:])[:gatewayServiceHashLength]
	keep := maxServiceNameLength - 1 - len(suffix)
	if len(name) > keep {
		name = name[:keep]
	}
	return strings.TrimRight(name, "-") + "-" + suffix
}

// ServiceOwner returns the name of the Gateway whose per-Gateway Service svc is,
// when Turnpike with controllerName owns it.
func ServiceOwner(svc *corev1.Service, controllerName gwapiv1.GatewayController) (string, bool) {
	if svc == nil || svc.Labels[LabelManagedBy] != ManagedByTurnpike ||
		svc.Annotations[AnnotationControllerName] != string(controllerName) {
		return "", false
	}
	for _, ref := range svc.OwnerReferences {
		if ref.Kind == "Gateway" && strings.HasPrefix(ref.APIVersion, gatewayAPIGroupVersionBase) &&
			ref.Controller != nil && *ref.Controller {
			return ref.Name, true
		}
	}
	return "", false
}

// ServiceListenerPorts are the distinct ports of a Gateway's HTTP and HTTPS
// listeners, ascending: the ports its Service exposes. Listeners of protocols
// Turnpike does not serve are left out, so no port is opened for them.
func ServiceListenerPorts(gw *gwapiv1.Gateway) []gwapiv1.PortNumber {
	var ports []gwapiv1.PortNumber
	for _, l := range gw.Spec.Listeners {
		if l.Protocol == gwapiv1.HTTPProtocolType || l.Protocol == gwapiv1.HTTPSProtocolType {
			ports = append(ports, l.Port)
		}
	}
	slices.Sort(ports)
	return slices.Compact(ports)
}

// OwnGateways are the Gateways of the GatewayClasses with controllerName, valid
// or not: their container ports are set aside even while a class or a Gateway is
// rejected, so that fixing it does not move them.
func OwnGateways(controllerName gwapiv1.GatewayController, classes []*gwapiv1.GatewayClass, gateways []*gwapiv1.Gateway) []*gwapiv1.Gateway {
	ours := map[gwapiv1.ObjectName]bool{}
	for _, class := range classes {
		if class != nil && class.Spec.ControllerName == controllerName {
			ours[gwapiv1.ObjectName(class.Name)] = true
		}
	}
	var out []*gwapiv1.Gateway
	for _, gw := range gateways {
		if gw != nil && ours[gw.Spec.GatewayClassName] {
			out = append(out, gw)
		}
	}
	return out
}

// PortAssignment is the container port of each listener port of one Gateway.
type PortAssignment struct {
	// Ports maps each of ServiceListenerPorts to a container port.
	Ports map[gwapiv1.PortNumber]int32
	// Err says that the range had no free port left for some listener port;
	// Ports then lacks that port.
	Err *BindError
}

// AssignContainerPorts maps the listener ports of every Gateway onto container
// ports of r. gateways are those of our GatewayClasses (OwnGateways); services may
// be every Service: only those controllerName owns are read.
//
// The per-Gateway Services are the record of the assignment: the targetPort of each
// of their ports is the container port of that listener port. Every replica reads
// them from its cache and a restarted process reads them again, so all agree
// without talking to each other, and an assignment never moves once written:
//  1. Oldest Gateway first (creation time, then namespace/name), each keeps the
//     container ports its Service records, when they lie in r and no older Gateway
//     holds them (a conflict only a hand edit or two leaders in a hand-over can
//     cause; the older Gateway wins and the other moves).
//  2. Every other target port of a Service of ours stays reserved until that
//     Service changes: a Service that is waiting for garbage collection, or that
//     still lists a listener its Gateway dropped, keeps sending traffic there.
//  3. Oldest Gateway first, listener ports ascending, every listener port still
//     without one takes the lowest free port of r.
//
// A Gateway created or deleted therefore never moves another Gateway's ports.
// Until the leader has written a Gateway's Service its ports are only computed,
// and may change (when an older Gateway without a Service is deleted, say); that
// is harmless because no Service sends traffic to them yet, and the Gateway is
// not Programmed until its Service exists.
func AssignContainerPorts(r PortRange, controllerName gwapiv1.GatewayController, gateways []*gwapiv1.Gateway, services []*corev1.Service) map[types.NamespacedName]PortAssignment {
	sorted := slices.Clone(gateways)
	slices.SortFunc(sorted, func(a, b *gwapiv1.Gateway) int {
		return byAgeThenName(a.CreationTimestamp, b.CreationTimestamp,
			types.NamespacedName{Namespace: a.Namespace, Name: a.Name}, types.NamespacedName{Namespace: b.Namespace, Name: b.Name})
	})
	owned := ownedServices(services, controllerName)
	held := map[int32]bool{}
	out := make(map[types.NamespacedName]PortAssignment, len(sorted))
	for _, gw := range sorted {
		a := PortAssignment{Ports: map[gwapiv1.PortNumber]int32{}}
		record := recordedPorts(owned[gatewayServiceKey(gw)], gw.Name, controllerName)
		for _, port := range ServiceListenerPorts(gw) {
			if target, ok := record[port]; ok && r.Contains(target) && !held[target] {
				a.Ports[port] = target
				held[target] = true
			}
		}
		out[types.NamespacedName{Namespace: gw.Namespace, Name: gw.Name}] = a
	}
	for _, svc := range owned {
		for _, port := range svc.Spec.Ports {
			if port.TargetPort.Type == intstr.Int && r.Contains(port.TargetPort.IntVal) {
				held[port.TargetPort.IntVal] = true
			}
		}
	}
	next := r.First
	for _, gw := range sorted {
		key := types.NamespacedName{Namespace: gw.Namespace, Name: gw.Name}
		a := out[key]
		for _, port := range ServiceListenerPorts(gw) {
			if _, ok := a.Ports[port]; ok {
				continue
			}
			for next <= r.Last && held[next] {
				next++
			}
			if next > r.Last {
				a.Err = &BindError{Reason: gwapiv1.GatewayReasonNoResources, Message: fmt.Sprintf(
					"The container port range %s has no free port left for listener port %d; widen --gateway-service-port-range or delete a Gateway.", r, port)}
				break
			}
			a.Ports[port] = next
			held[next] = true
		}
		out[key] = a
	}
	return out
}

func gatewayServiceKey(gw *gwapiv1.Gateway) types.NamespacedName {
	return types.NamespacedName{Namespace: gw.Namespace, Name: GatewayServiceName(gw.Name)}
}

// ownedServices indexes the Services controllerName owns by namespace/name.
func ownedServices(services []*corev1.Service, controllerName gwapiv1.GatewayController) map[types.NamespacedName]*corev1.Service {
	out := map[types.NamespacedName]*corev1.Service{}
	for _, svc := range services {
		if _, ok := ServiceOwner(svc, controllerName); ok {
			out[types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name}] = svc
		}
	}
	return out
}

// recordedPorts reads the container port of each listener port from a Gateway's
// Service: the targetPort of its TCP port of that number. A Service owned by
// another Gateway (a name collision, or a Gateway deleted and created again under
// another name's hash) records nothing for this one.
func recordedPorts(svc *corev1.Service, gatewayName string, controllerName gwapiv1.GatewayController) map[gwapiv1.PortNumber]int32 {
	if owner, ok := ServiceOwner(svc, controllerName); !ok || owner != gatewayName {
		return nil
	}
	out := map[gwapiv1.PortNumber]int32{}
	for _, port := range svc.Spec.Ports {
		if port.Protocol != "" && port.Protocol != corev1.ProtocolTCP {
			continue
		}
		if port.TargetPort.Type == intstr.Int && port.TargetPort.IntVal > 0 {
			out[port.Port] = port.TargetPort.IntVal
		}
	}
	return out
}
