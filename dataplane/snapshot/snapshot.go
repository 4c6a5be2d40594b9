package snapshot

import (
	"crypto/tls"
	"net"
	"strconv"
)

// Snapshot is the complete data-plane configuration at one point in time.
type Snapshot struct {
	// Generation increases by one with every snapshot the compile loop publishes.
	// The compiler leaves it zero; the loop stamps it.
	Generation uint64 `json:"generation"`
	// Listeners are the sockets to bind, sorted by Key.
	Listeners []*Listener `json:"listeners"`
}

// Protocol is the application protocol a socket speaks.
type Protocol string

const (
	// ProtocolHTTP is cleartext HTTP/1.1.
	ProtocolHTTP Protocol = "HTTP"
	// ProtocolHTTPS is HTTP/1.1 over TLS, terminated by the data plane.
	ProtocolHTTPS Protocol = "HTTPS"
)

// Listener is one socket the data plane binds. Several Gateway listeners (of one
// Gateway, or of several Gateways that bind the same address) share a socket when
// they have the same address, port and protocol; requests are then told apart by
// hostname.
type Listener struct {
	// Address is the IP to bind; empty means every interface.
	Address string `json:"address,omitempty"`
	// Port is the TCP port to bind.
	Port int32 `json:"port"`
	// Protocol is what the socket speaks.
	Protocol Protocol `json:"protocol"`
	// GatewayListeners share this socket, most specific hostname first: exact
	// hostnames, then wildcards with the longest suffix first, then the listeners
	// that accept any hostname. The data plane picks the first whose Hostname
	// matches the request's host and never falls through to a later one (listener
	// isolation).
	GatewayListeners []*GatewayListener `json:"gatewayListeners"`
}

// Key identifies the socket: "address:port" ("[::1]:80" for IPv6, ":80" for every
// interface). It is stable across snapshots, so the data plane keeps a socket open
// when a new snapshot still wants it.
func (l *Listener) Key() string {
	return net.JoinHostPort(l.Address, strconv.Itoa(int(l.Port)))
}

// GatewayListener is one listener of one Gateway as it is served.
type GatewayListener struct {
	// Gateway is "namespace/name" of the Gateway that owns the listener.
	Gateway string `json:"gateway"`
	// Name is the listener's name in the Gateway spec.
	Name string `json:"name"`
	// Hostname is the listener's hostname: empty (any host), exact
	// ("api.example.com") or a wildcard ("*.example.com"), always lower case.
	Hostname string `json:"hostname,omitempty"`
	// VirtualHosts are the hostnames the attached routes serve on this listener,
	// ordered like GatewayListeners: exact, then wildcards longest suffix first,
	// then the one with an empty Hostname (routes without hostnames). A request is
	// matched against the virtual hosts that match its host in this order, and the
	// first route that matches wins: a route for "api.example.com" beats a route
	// without hostnames, which still serves the paths the former does not match.
	VirtualHosts []*VirtualHost `json:"virtualHosts"`
	// RequestClientCertificate asks TLS clients of this listener for a
	// certificate during the handshake (without verifying it there): some route
	// on it authenticates with x509, which verifies the certificate against its
	// policy's CAs. Never set on cleartext listeners.
	RequestClientCertificate bool `json:"requestClientCertificate,omitempty"`
	// Certificates are what the TLS handshakes of an HTTPS listener may present,
	// parsed, in the order of the listener's certificateRefs; each has its Leaf
	// set. The data plane picks one per handshake by SNI and by what the client
	// supports. Shared and never modified: a rotated Secret gives new values in
	// a new snapshot. Empty on cleartext listeners.
	Certificates []*tls.Certificate `json:"-"`
	// CertificateSecrets names the Secrets the Certificates come from,
	// "namespace/name", sorted. It is there to be read (golden files, debug
	// dumps); the data plane uses Certificates.
	CertificateSecrets []string `json:"certificateSecrets,omitempty"`
}

// VirtualHost is the set of routes that serve one effective hostname: the
// intersection of a listener's hostname and a route's hostnames.
type VirtualHost struct {
	// Hostname is empty (any host), exact, or a wildcard "*.suffix"; lower case.
	Hostname string `json:"hostname,omitempty"`
	// Routes are in Gateway API precedence order; the first whose match holds wins.
	Routes []*Route `json:"routes"`
}
