package server

import (
	"crypto/tls"
	"fmt"
	"strings"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// TLS termination for HTTPS sockets.
//
// An HTTPS socket wraps every accepted connection in a *tls.Conn (so that
// fasthttp's IsTLS and TLSConnectionState work, and X-Forwarded-Proto says
// https) with one base tls.Config that lives as long as the socket. The base
// config has no certificate of its own: GetConfigForClient reads the socket's
// current tlsListeners at each handshake, so a Publish that rotates a certificate
// is served from the next handshake on, without rebinding the socket or
// touching open connections. The base config also keeps the session-ticket keys,
// which lets clients resume sessions across snapshots.

// Protocol settings of every HTTPS listener: TLS 1.2 at least, and HTTP/1.1 only
// until HTTP/2 is served (a client that offers only h2 fails the handshake).
const minTLSVersion = tls.VersionTLS12

var alpnProtocols = []string{"http/1.1"}

// noCertificate is the config of a handshake that no listener serves: with no
// certificate at all, crypto/tls answers with the unrecognized_name alert, which
// tells the client what is wrong (an error from GetConfigForClient would send
// internal_error).
var noCertificate = &tls.Config{MinVersion: minTLSVersion, NextProtos: alpnProtocols}

// tlsListeners is the handshake-time view of one HTTPS socket: a tls.Config per
// GatewayListener, found by server name the way the router finds a listener by
// host. Built whole at every Publish and never changed afterwards.
type tlsListeners struct {
	exact map[string]*tls.Config
	// wildcards maps the suffix of a wildcard hostname, dot included
	// (".example.com"), to its listener.
	wildcards map[string]*tls.Config
	// anyHost is the listener without a hostname; nil when there is none.
	anyHost *tls.Config
	// first is the most specific listener, for clients that send no server name
	// to a socket without a listener for any hostname.
	first *tls.Config
}

// newTLSListeners indexes the GatewayListeners of an HTTPS socket. Listeners come
// most specific first, so when two have the same hostname (the compiler never
// lets that happen) the first one wins, as in the router.
func newTLSListeners(l *snapshot.Listener) *tlsListeners {
	t := &tlsListeners{exact: map[string]*tls.Config{}, wildcards: map[string]*tls.Config{}}
	for _, gl := range l.GatewayListeners {
		if gl == nil {
			continue
		}
		config := listenerTLSConfig(gl)
		if t.first == nil {
			t.first = config
		}
		hostname := strings.ToLower(gl.Hostname)
		switch {
		case hostname == "":
			if t.anyHost == nil {
				t.anyHost = config
			}
		case strings.HasPrefix(hostname, "*."):
			if _, seen := t.wildcards[hostname[1:]]; !seen {
				t.wildcards[hostname[1:]] = config
			}
		default:
			if _, seen := t.exact[hostname]; !seen {
				t.exact[hostname] = config
			}
		}
	}
	return t
}

// forServerName picks the listener whose hostname matches the SNI: exact, then
// the wildcard with the longest suffix, then the listener for any hostname. A
// client that sends no SNI (it dialled an IP address) gets the listener for any
// hostname, else the most specific one. nil means no listener serves the name:
// listeners are isolated, so the handshake fails rather than presenting the
// certificate of a listener that does not serve that name.
func (t *tlsListeners) forServerName(serverName string) *tls.Config {
	if serverName == "" {
		if t.anyHost != nil {
			return t.anyHost
		}
		return t.first
	}
	name := strings.ToLower(serverName)
	if config, ok := t.exact[name]; ok {
		return config
	}
	if len(t.wildcards) > 0 {
		// "a.b.example.com" tries ".b.example.com", then ".example.com", then
		// ".com": the first hit is the longest suffix.
		for i := 1; i < len(name); i++ {
			if name[i] != '.' {
				continue
			}
			if config, ok := t.wildcards[name[i:]]; ok {
				return config
			}
		}
	}
	return t.anyHost
}

// listenerTLSConfig is what a handshake that picked gl runs with. The client is
// asked for a certificate only when some route of gl authenticates with x509;
// it is never verified here (the AuthPolicy verifies it against its own CAs, per
// route), so a client without one still connects and gets that route's 401.
func listenerTLSConfig(gl *snapshot.GatewayListener) *tls.Config {
	picker := certificatePicker{gateway: gl.Gateway, listener: gl.Name}
	for _, cert := range gl.Certificates {
		if cert != nil {
			picker.certificates = append(picker.certificates, cert)
		}
	}
	config := &tls.Config{
		MinVersion:     minTLSVersion,
		NextProtos:     alpnProtocols,
		GetCertificate: picker.pick,
	}
	if gl.RequestClientCertificate {
		config.ClientAuth = tls.RequestClientCert
	}
	return config
}

// certificatePicker chooses among the certificates of one listener.
type certificatePicker struct {
	gateway, listener string
	certificates      []*tls.Certificate
}

// pick returns the certificate for a handshake: among those the client can use
// (name and key type, see tls.ClientHelloInfo.SupportsCertificate), one naming
// the server name exactly beats a wildcard one, and earlier certificateRefs beat
// later ones. When none fits, the first is sent and the client decides.
func (p certificatePicker) pick(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	switch len(p.certificates) {
	case 0:
		return nil, fmt.Errorf("listener %q of Gateway %s has no certificate", p.listener, p.gateway)
	case 1:
		return p.certificates[0], nil
	}
	var compatible *tls.Certificate
	for _, cert := range p.certificates {
		if hello.SupportsCertificate(cert) != nil {
			continue
		}
		if hello.ServerName != "" && namesExactly(cert, hello.ServerName) {
			return cert, nil
		}
		if compatible == nil {
			compatible = cert
		}
	}
	if compatible != nil {
		return compatible, nil
	}
	return p.certificates[0], nil
}

// namesExactly says whether the certificate lists serverName itself, not
// through a wildcard.
func namesExactly(cert *tls.Certificate, serverName string) bool {
	if cert.Leaf == nil {
		return false
	}
	for _, name := range cert.Leaf.DNSNames {
		if strings.EqualFold(name, serverName) {
			return true
		}
	}
	return false
}

// baseTLSConfig is the config an HTTPS socket accepts connections with.
func (s *socket) baseTLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion:         minTLSVersion,
		NextProtos:         alpnProtocols,
		GetConfigForClient: s.configForClient,
	}
}

// configForClient picks the listener of a handshake from the socket's current
// tlsListeners. A failed handshake is logged by fasthttp at debug level, with the
// client's address, and the connection is closed.
func (s *socket) configForClient(hello *tls.ClientHelloInfo) (*tls.Config, error) {
	// Nil only before the first update, which comes before serve.
	if listeners := s.tls.Load(); listeners != nil {
		if config := listeners.forServerName(hello.ServerName); config != nil {
			return config, nil
		}
	}
	return noCertificate, nil
}

// update makes the socket's handshakes use l's listeners and certificates from
// now on. Connections already established keep what they negotiated.
func (s *socket) update(l *snapshot.Listener) {
	if s.protocol == snapshot.ProtocolHTTPS {
		s.tls.Store(newTLSListeners(l))
	}
}
