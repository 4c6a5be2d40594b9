package server

import (
	"bytes"
	"net"
	"net/netip"

	"github.com/valyala/fasthttp"
)

// requestView lets the router read a fasthttp request without knowing fasthttp.
// It is the RequestCtx itself under another method set, so turning a
// *fasthttp.RequestCtx into a router.Request allocates nothing.
type requestView fasthttp.RequestCtx

func (r *requestView) ctx() *fasthttp.RequestCtx { return (*fasthttp.RequestCtx)(r) }

func (r *requestView) Method() []byte { return r.ctx().Method() }

// Path is fasthttp's normalised path (percent-decoded, dot segments resolved),
// which is also the path forwarded upstream: the backend sees what was routed.
func (r *requestView) Path() []byte { return r.ctx().Path() }

func (r *requestView) Host() []byte { return r.ctx().Host() }

// Header treats a header with an empty value like an absent one: fasthttp does
// not tell them apart cheaply. An Exact match value is never empty in the Gateway
// API, so only a regular expression that accepts "" can see the difference.
func (r *requestView) Header(canonicalName string) ([]byte, bool) {
	v := r.ctx().Request.Header.Peek(canonicalName)
	return v, len(v) > 0
}

func (r *requestView) QueryArg(name string) ([]byte, bool) {
	args := r.ctx().QueryArgs()
	if !args.Has(name) {
		return nil, false
	}
	return args.Peek(name), true
}

// keepQueryAsSent undoes the side effect of QueryArg: once fasthttp has parsed the
// query it forwards it re-encoded from the parsed arguments ("%20" becomes "+",
// invalid escapes are escaped again). Setting the query string from its own bytes
// makes it forward the client's bytes unchanged. It costs a copy of the query
// onto itself and allocates nothing.
func keepQueryAsSent(ctx *fasthttp.RequestCtx) {
	uri := ctx.URI()
	uri.SetQueryStringBytes(uri.QueryString())
}

// The rest of expr.Request, which policy expressions read.

var (
	schemeHTTP  = []byte("http")
	schemeHTTPS = []byte("https")
)

func (r *requestView) Scheme() []byte {
	if r.ctx().IsTLS() {
		return schemeHTTPS
	}
	return schemeHTTP
}

func (r *requestView) RawQuery() []byte { return r.ctx().URI().QueryString() }

// VisitHeaders walks the header block as received. It reads the raw bytes
// rather than fasthttp's parsed headers, whose iteration re-encodes cookies as
// a side effect, which would change what is forwarded.
func (r *requestView) VisitHeaders(visit func(name, value []byte)) {
	raw := r.ctx().Request.Header.RawHeaders()
	for len(raw) > 0 {
		line, rest, _ := bytes.Cut(raw, []byte{'\n'})
		raw = rest
		name, value, ok := bytes.Cut(bytes.TrimRight(line, "\r"), []byte{':'})
		if !ok || len(name) == 0 {
			continue
		}
		visit(name, bytes.TrimSpace(value))
	}
}

// ClientAddr is the TCP peer; IPv4-mapped IPv6 addresses read as IPv4.
func (r *requestView) ClientAddr() netip.AddrPort {
	tcp, ok := r.ctx().RemoteAddr().(*net.TCPAddr)
	if !ok {
		return netip.AddrPort{}
	}
	addr, _ := netip.AddrFromSlice(tcp.IP)
	return netip.AddrPortFrom(addr.Unmap(), uint16(tcp.Port))
}
