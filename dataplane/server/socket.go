package server

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/valyala/fasthttp"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// socket is one bound address and the fasthttp server that serves it. A socket
// lives as long as consecutive snapshots name its Key; it is never reopened for a
// swap.
type socket struct {
	key string
	// protocol is fixed for the socket's life: a snapshot that wants the other
	// protocol on the same Key gets a new socket.
	protocol snapshot.Protocol
	ln       *socketListener
	server   *fasthttp.Server
	conns    connSet
	// served is closed when Serve has returned.
	served chan struct{}
	// tls is what the handshakes of an HTTPS socket read, replaced at every
	// Publish (see tls.go); nil on HTTP sockets.
	tls atomic.Pointer[tlsListeners]
}

// socketListener is the bound listener with two additions: Close may be called
// more than once, and accepting is closed once fasthttp has registered the
// listener (its first Accept). Shutting down before that would find no listener
// to shut down.
type socketListener struct {
	net.Listener
	// tlsConfig, when set, turns each accepted connection into a *tls.Conn.
	// The handshake runs later, in the connection's own goroutine (fasthttp
	// starts it under ReadTimeout and WriteTimeout), never in the accept loop.
	tlsConfig  *tls.Config
	acceptOnce sync.Once
	accepting  chan struct{}
	closeOnce  sync.Once
	closeErr   error
}

func (l *socketListener) Accept() (net.Conn, error) {
	l.acceptOnce.Do(func() { close(l.accepting) })
	conn, err := l.Listener.Accept()
	if err != nil || l.tlsConfig == nil {
		return conn, err
	}
	return tls.Server(conn, l.tlsConfig), nil
}

func (l *socketListener) Close() error {
	l.closeOnce.Do(func() { l.closeErr = l.Listener.Close() })
	return l.closeErr
}

// connSet tracks a server's open client connections so that a drain that runs out
// of time can close them: fasthttp's Shutdown leaves them running.
type connSet struct {
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// track is the fasthttp ConnState hook. It runs per request too (Active, Idle),
// where it does nothing.
func (s *connSet) track(c net.Conn, state fasthttp.ConnState) {
	switch state {
	case fasthttp.StateNew:
		s.mu.Lock()
		if s.conns == nil {
			s.conns = map[net.Conn]struct{}{}
		}
		s.conns[c] = struct{}{}
		s.mu.Unlock()
	case fasthttp.StateClosed, fasthttp.StateHijacked:
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	default:
	}
}

func (s *connSet) closeAll() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.conns)
	for c := range s.conns {
		_ = c.Close()
	}
	return n
}

// openSocket binds key for protocol; the server starts only with serve, and an
// HTTPS socket needs update first.
func (dp *DataPlane) openSocket(key string, protocol snapshot.Protocol) (*socket, error) {
	ln, err := dp.opts.Listen("tcp", key)
	if err != nil {
		return nil, fmt.Errorf("binding %s: %w", key, err)
	}
	s := &socket{
		key:      key,
		protocol: protocol,
		ln:       &socketListener{Listener: ln, accepting: make(chan struct{})},
		served:   make(chan struct{}),
	}
	if protocol == snapshot.ProtocolHTTPS {
		s.ln.tlsConfig = s.baseTLSConfig()
	}
	s.server = dp.newFastHTTPServer(key, &s.conns)
	return s, nil
}

func (s *socket) serve(log logr.Logger) {
	go func() {
		defer close(s.served)
		// Serve returns nil when the listener is closed on purpose.
		if err := s.server.Serve(s.ln); err != nil {
			log.Error(err, "Socket stopped accepting connections", "socket", s.key)
		}
	}()
}

// stopAccepting closes the listener: new connections are refused from now on,
// accepted ones are unaffected.
func (s *socket) stopAccepting() {
	_ = s.ln.Close()
}

// drain stops accepting, lets in-flight requests finish (each answered with
// "Connection: close"), closes idle connections, and after timeout closes whatever
// is still open. It returns once the server is done.
func (s *socket) drain(timeout time.Duration) error {
	s.stopAccepting()
	select {
	case <-s.ln.accepting:
	case <-s.served:
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := s.server.ShutdownWithContext(ctx)
	if err != nil {
		closed := s.conns.closeAll()
		err = fmt.Errorf("draining %s: closed %d connections still open after %s: %w", s.key, closed, timeout, err)
	}
	<-s.served
	return err
}
