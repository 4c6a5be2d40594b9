package upstream

import (
	"bytes"
	"net"
	"net/netip"

	"github.com/valyala/fasthttp"
)

// hopByHop are the headers that describe one connection, not the message (RFC 9110
// section 7.6.1), so a proxy never passes them on, in either direction. They are
// spelled as fasthttp stores parsed and set names ("Te", not "TE"), so that they
// can be deleted without normalising each name on every request (see
// deleteCanonical).
var hopByHop = []string{
	"Connection",
	"Keep-Alive",
	"Proxy-Connection",
	"Te",
	"Trailer",
	"Transfer-Encoding",
	"Upgrade",
}

// The forwarded headers, as byte slices for SetCanonical, which skips the
// normalisation that Set does on every call.
var (
	keyXForwardedFor   = []byte(headerXForwardedFor)
	keyXForwardedProto = []byte(headerXForwardedProto)
	keyXForwardedHost  = []byte(headerXForwardedHost)
	valueHTTP          = []byte("http")
	valueHTTPS         = []byte("https")
)

// canonicalDeleter is what deleteCanonical needs of a request or response header.
type canonicalDeleter interface {
	Del(key string)
	DisableNormalizing() bool
	EnableNormalizing() bool
}

// deleteCanonical deletes headers whose names are already in fasthttp's
// canonical form. fasthttp copies and normalises the name on every Del; the
// header stores every name normalised (the data plane never turns normalising
// off), so with normalising off for the duration the exact name finds the same
// fields, at a fraction of the cost. That was about a fifth of the header work
// of a proxied request (BenchmarkPrepareAndStrip).
func deleteCanonical(h canonicalDeleter, names ...string) {
	wasDisabled := h.DisableNormalizing()
	for _, name := range names {
		h.Del(name)
	}
	if !wasDisabled {
		h.EnableNormalizing()
	}
}

const (
	headerXForwardedFor   = "X-Forwarded-For"
	headerXForwardedProto = "X-Forwarded-Proto"
	headerXForwardedHost  = "X-Forwarded-Host"
)

// Forward sends the request in ctx to the endpoint and leaves the backend's
// response in ctx.Response, minus its hop-by-hop headers. It edits ctx.Request in
// place rather than copying it. On failure ctx.Response is reset and the Outcome
// says which problem to answer; the error is for the debug log only.
func (e *Endpoint) Forward(ctx *fasthttp.RequestCtx) (Outcome, error) {
	prepareRequest(ctx)
	if err := e.client.Do(&ctx.Request, &ctx.Response); err != nil {
		ctx.Response.Reset()
		return classify(err), err
	}
	stripResponseHopByHop(&ctx.Response.Header)
	return OK, nil
}

// prepareRequest turns the request as received into the request to send upstream.
func prepareRequest(ctx *fasthttp.RequestCtx) {
	req := &ctx.Request
	stripRequestHopByHop(&req.Header)
	// The server has already answered "100 Continue" and read the whole body;
	// the backend must not wait for a body that is sent at once.
	deleteCanonical(&req.Header, fasthttp.HeaderExpect)
	setForwardedHeaders(ctx)
	// Keep the Host header the client sent; without this fasthttp writes the
	// lower-cased host of the parsed URI.
	req.UseHostHeader = true
	// Send no Content-Type the client did not send.
	req.Header.SetNoDefaultContentType(true)
	// The upstream connection is ours and persistent whatever the client's
	// protocol version; the server answers the client in its own version.
	req.Header.SetProtocol("HTTP/1.1")
	if ctx.IsTLS() {
		// Backends are plain HTTP for now, and fasthttp refuses to send an
		// https URI over a plain connection.
		req.URI().SetScheme("http")
	}
}

// connectionTokensMax bounds the Connection header that is copied to the stack
// before its tokens are deleted; a longer one is copied to the heap.
const connectionTokensMax = 256

// stripRequestHopByHop deletes the request's hop-by-hop headers, including those
// that its Connection header names.
func stripRequestHopByHop(h *fasthttp.RequestHeader) {
	if v := h.Peek(fasthttp.HeaderConnection); len(v) > 0 {
		// Copy first: deleting headers reshuffles the storage v points into.
		var buf [connectionTokensMax]byte
		tokens := append(buf[:0], v...)
		for rest := tokens; len(rest) > 0; {
			var token []byte
			token, rest = nextToken(rest)
			if len(token) > 0 {
				h.DelBytes(token)
			}
		}
	}
	dropTrailerFields(h)
	deleteCanonical(h, hopByHop...)
}

// stripResponseHopByHop is stripRequestHopByHop for the backend's response. The two
// stay separate on purpose: behind a shared interface the stack buffer would escape
// to the heap (the compiler cannot see that DelBytes keeps nothing), and the hot path
// would allocate on every request with a Connection header. Deleting
// Connection also drops a "Connection: close" from the backend, which concerns the
// upstream connection only: the client connection stays open unless the client
// asked otherwise (the server tracks that itself).
func stripResponseHopByHop(h *fasthttp.ResponseHeader) {
	if v := h.Peek(fasthttp.HeaderConnection); len(v) > 0 {
		var buf [connectionTokensMax]byte
		tokens := append(buf[:0], v...)
		for rest := tokens; len(rest) > 0; {
			var token []byte
			token, rest = nextToken(rest)
			if len(token) > 0 {
				h.DelBytes(token)
			}
		}
	}
	dropTrailerFields(h)
	deleteCanonical(h, hopByHop...)
}

// trailerKeys is what dropTrailerFields needs of a request or response header.
type trailerKeys interface {
	PeekTrailerKeys() [][]byte
	DelBytes(key []byte)
}

// dropTrailerFields deletes the values of the announced trailer fields. Bodies are
// buffered and re-sent with a Content-Length, so there is no trailer section to
// put them in, and merging them into the header section is not allowed in general
// (RFC 9110 section 6.5.1). Deleting them first also keeps fasthttp from merging
// them when the Trailer header itself is deleted.
func dropTrailerFields(h trailerKeys) {
	for _, key := range h.PeekTrailerKeys() {
		h.DelBytes(key)
	}
}

// nextToken splits the first comma-separated token, trimmed, off list.
func nextToken(list []byte) (token, rest []byte) {
	token, rest, _ = bytes.Cut(list, []byte{','})
	return bytes.TrimSpace(token), rest
}

// setForwardedHeaders appends the client's address to X-Forwarded-For and states
// the protocol and host the client used. Turnpike is the edge, so client-sent
// X-Forwarded-Proto and -Host are replaced rather than trusted.
func setForwardedHeaders(ctx *fasthttp.RequestCtx) {
	h := &ctx.Request.Header
	if clientIP, ok := remoteIP(ctx); ok {
		var buf [128]byte
		forwardedFor := buf[:0]
		for _, v := range h.PeekAll(headerXForwardedFor) {
			if len(v) == 0 {
				continue
			}
			if len(forwardedFor) > 0 {
				forwardedFor = append(forwardedFor, ", "...)
			}
			forwardedFor = append(forwardedFor, v...)
		}
		if len(forwardedFor) > 0 {
			forwardedFor = append(forwardedFor, ", "...)
		}
		forwardedFor = clientIP.AppendTo(forwardedFor)
		h.SetCanonical(keyXForwardedFor, forwardedFor)
	}
	if ctx.IsTLS() {
		h.SetCanonical(keyXForwardedProto, valueHTTPS)
	} else {
		h.SetCanonical(keyXForwardedProto, valueHTTP)
	}
	if host := h.Host(); len(host) > 0 {
		h.SetCanonical(keyXForwardedHost, host)
	} else {
		deleteCanonical(h, headerXForwardedHost)
	}
}

// remoteIP is the client's IP, or false when the connection is not TCP (an
// in-memory listener), in which case there is no address to report.
func remoteIP(ctx *fasthttp.RequestCtx) (netip.Addr, bool) {
	tcp, ok := ctx.RemoteAddr().(*net.TCPAddr)
	if !ok {
		return netip.Addr{}, false
	}
	addr, ok := netip.AddrFromSlice(tcp.IP)
	return addr.Unmap(), ok
}
