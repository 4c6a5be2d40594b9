package upstream

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// maxUpgradeResponseHeader bounds the backend's answer to an upgrade request.
const maxUpgradeResponseHeader = 16 << 10

// IsUpgrade reports whether a request asks to switch protocols (a WebSocket
// handshake): an Upgrade header and a Connection header that lists "upgrade".
func IsUpgrade(h *fasthttp.RequestHeader) bool {
	if len(h.Peek(fasthttp.HeaderUpgrade)) == 0 {
		return false
	}
	for rest := h.Peek(fasthttp.HeaderConnection); len(rest) > 0; {
		var token []byte
		token, rest = nextToken(rest)
		if bytes.EqualFold(token, []byte("upgrade")) {
			return true
		}
	}
	return false
}

// Tunnels tracks the upgraded connections (WebSockets) the data plane relays.
// They belong to no snapshot: a swap leaves them open, and only shutdown ends them.
type Tunnels struct {
	mu    sync.Mutex
	conns map[*tunnel]struct{}
	wg    sync.WaitGroup
}

type tunnel struct {
	client, backend net.Conn
	once            sync.Once
}

// close ends both connections. fasthttp hands a hijack handler a wrapper whose
// Close does nothing (the server closes the connection once the handler returns),
// so the connection under it is closed here: that is what unblocks a relay that
// is still reading from the client.
func (t *tunnel) close() {
	t.once.Do(func() {
		client := t.client
		if wrapped, ok := client.(interface{ UnsafeConn() net.Conn }); ok {
			client = wrapped.UnsafeConn()
		}
		_ = client.Close()
		_ = t.backend.Close()
	})
}

// NewTunnels returns an empty registry.
func NewTunnels() *Tunnels { return &Tunnels{conns: map[*tunnel]struct{}{}} }

// Len is the number of open tunnels.
func (ts *Tunnels) Len() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return len(ts.conns)
}

// Close waits up to timeout for tunnels to end by themselves, then closes the rest
// and returns how many it had to close.
func (ts *Tunnels) Close(timeout time.Duration) int {
	done := make(chan struct{})
	go func() { ts.wg.Wait(); close(done) }()
	select {
	case <-done:
		return 0
	case <-time.After(timeout):
	}
	ts.mu.Lock()
	closed := len(ts.conns)
	for t := range ts.conns {
		t.close()
	}
	ts.mu.Unlock()
	<-done
	return closed
}

func (ts *Tunnels) add(t *tunnel) {
	ts.mu.Lock()
	ts.conns[t] = struct{}{}
	ts.wg.Add(1)
	ts.mu.Unlock()
}

func (ts *Tunnels) remove(t *tunnel) {
	ts.mu.Lock()
	delete(ts.conns, t)
	ts.mu.Unlock()
	ts.wg.Done()
}

// Upgrade forwards an upgrade request over a dedicated connection to the endpoint
// (an upgraded connection is never returned to a pool). When the backend switches
// protocols (101) the client connection is hijacked and bytes are relayed both ways
// until either side closes; the handshake response is passed on byte for byte.
// When the backend declines, its response is relayed like any other.
func (e *Endpoint) Upgrade(ctx *fasthttp.RequestCtx, tunnels *Tunnels) (Outcome, error) {
	upgrade := append([]byte(nil), ctx.Request.Header.Peek(fasthttp.HeaderUpgrade)...)
	prepareRequest(ctx)
	// prepareRequest removed the hop-by-hop headers; an upgrade needs its two back.
	ctx.Request.Header.SetBytesV(fasthttp.HeaderUpgrade, upgrade)
	ctx.Request.Header.Set(fasthttp.HeaderConnection, "Upgrade")

	backend, err := e.dial()
	if err != nil {
		return classify(err), err
	}
	if err := backend.SetDeadline(time.Now().Add(e.upgradeTimeout)); err != nil {
		backend.Close()
		return Unreachable, err
	}
	w := bufio.NewWriter(backend)
	if err := ctx.Request.Write(w); err != nil {
		backend.Close()
		return classify(err), err
	}
	if err := w.Flush(); err != nil {
		backend.Close()
		return classify(err), err
	}
	br := bufio.NewReaderSize(backend, 4096)
	head, status, err := readResponseHead(br)
	if err != nil {
		backend.Close()
		return classify(err), err
	}
	if status != fasthttp.StatusSwitchingProtocols {
		// Declined: relay the ordinary response the backend sent.
		defer backend.Close()
		ctx.Response.Reset()
		if err := ctx.Response.Read(bufio.NewReader(io.MultiReader(bytes.NewReader(head), br))); err != nil {
			ctx.Response.Reset()
			return Unreachable, err
		}
		stripResponseHopByHop(&ctx.Response.Header)
		return OK, nil
	}
	if err := backend.SetDeadline(time.Time{}); err != nil {
		backend.Close()
		return Unreachable, err
	}
	// The backend agreed: from here on the bytes are not HTTP any more. The
	// handshake answer and anything the backend already sent after it go first.
	pending := make([]byte, br.Buffered())
	_, _ = io.ReadFull(br, pending)
	ctx.HijackSetNoResponse(true)
	ctx.Hijack(func(client net.Conn) {
		t := &tunnel{client: client, backend: backend}
		tunnels.add(t)
		defer tunnels.remove(t)
		defer t.close()
		if _, err := client.Write(head); err != nil {
			return
		}
		if len(pending) > 0 {
			if _, err := client.Write(pending); err != nil {
				return
			}
		}
		relay(t)
	})
	return OK, nil
}

// relay copies bytes both ways until one direction ends, then closes both ends so
// that the other copy stops too.
func relay(t *tunnel) {
	done := make(chan struct{}, 2)
	go func() {
		_, _ = io.Copy(t.backend, t.client)
		done <- struct{}{}
	}()
	go func() {
		_, _ = io.Copy(t.client, t.backend)
		done <- struct{}{}
	}()
	<-done
	t.close()
	<-done
}

var errUpgradeHeaderTooLarge = errors.New("backend's upgrade response header is too large")

// readResponseHead reads a response's status line and headers, raw, and parses the
// status code from them.
func readResponseHead(br *bufio.Reader) (head []byte, status int, err error) {
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return nil, 0, fmt.Errorf("reading the backend's upgrade response: %w", err)
		}
		head = append(head, line...)
		if len(head) > maxUpgradeResponseHeader {
			return nil, 0, errUpgradeHeaderTooLarge
		}
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			break
		}
	}
	// "HTTP/1.1 101 Switching Protocols"
	fields := bytes.Fields(head[:bytes.IndexByte(head, '\n')])
	if len(fields) < 2 || !bytes.HasPrefix(fields[0], []byte("HTTP/1.")) || len(fields[1]) != 3 {
		return nil, 0, fmt.Errorf("backend sent a malformed status line %q", bytes.TrimSpace(head[:bytes.IndexByte(head, '\n')]))
	}
	for _, c := range fields[1] {
		if c < '0' || c > '9' {
			return nil, 0, fmt.Errorf("backend sent a malformed status code %q", fields[1])
		}
		status = status*10 + int(c-'0')
	}
	return head, status, nil
}
