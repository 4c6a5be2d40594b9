package filter

import (
	"bytes"
	"strconv"

	"github.com/valyala/fasthttp"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// requestRedirect applies the Gateway API RequestRedirect filter: it answers with
// a redirect to the request's URL with the configured parts replaced, and
// nothing is forwarded.
type requestRedirect struct {
	scheme   []byte
	hostname []byte
	port     int
	path     *snapshot.PathModifier
	status   int
}

func newRequestRedirect(r *snapshot.Redirect) *requestRedirect {
	out := &requestRedirect{scheme: []byte(r.Scheme), hostname: []byte(r.Hostname), port: int(r.Port), status: r.StatusCode}
	if r.Path != nil {
		modifier := *r.Path
		out.path = &modifier
	}
	return out
}

var (
	schemeHTTP  = []byte("http")
	schemeHTTPS = []byte("https")
)

// Apply writes the redirect; it always answers the request itself.
func (r *requestRedirect) Apply(ctx *fasthttp.RequestCtx) bool {
	scheme := r.scheme
	if len(scheme) == 0 {
		scheme = schemeHTTP
		if ctx.IsTLS() {
			scheme = schemeHTTPS
		}
	}
	requestHost, requestPort := splitHostPort(ctx.Host())
	host := r.hostname
	if len(host) == 0 {
		host = requestHost
	}
	// The port: the configured one; else the well-known port of a configured
	// scheme; else the one the client connected to (the listener's).
	port := r.port
	if port == 0 && len(r.scheme) == 0 {
		port = requestPort
	}
	if port == 0 || (port == 80 && bytes.Equal(scheme, schemeHTTP)) || (port == 443 && bytes.Equal(scheme, schemeHTTPS)) {
		port = 0 // left out of the Location
	}

	u := fasthttp.AcquireURI()
	defer fasthttp.ReleaseURI(u)
	u.SetSchemeBytes(scheme)
	if port != 0 {
		host = strconv.AppendInt(append(append([]byte(nil), host...), ':'), int64(port), 10)
	}
	u.SetHostBytes(host)
	u.SetPathBytes(r.redirectPath(ctx.Path()))
	u.SetQueryStringBytes(ctx.URI().QueryString())

	ctx.Response.Reset()
	ctx.Response.SetStatusCode(r.status)
	ctx.Response.Header.SetBytesV(fasthttp.HeaderLocation, u.FullURI())
	return false
}

// redirectPath is the path of the Location: the request's (as routed), or the
// configured replacement.
func (r *requestRedirect) redirectPath(path []byte) []byte {
	if r.path == nil {
		return path
	}
	if r.path.Type == snapshot.ReplaceFullPath {
		return []byte(r.path.Value)
	}
	return replacePrefix(path, r.path.MatchedPrefix, r.path.Value)
}

// replacePrefix replaces a matched PathPrefix with value, segment-wise:
// prefix /foo, value /xyz: /foo -> /xyz, /foo/ -> /xyz/, /foo/bar -> /xyz/bar;
// value /: /foo/bar -> /bar. The router only lets through paths that the prefix
// matches, so the prefix is there.
func replacePrefix(path []byte, prefix, value string) []byte {
	if prefix == "/" {
		prefix = ""
	}
	rest := path[min(len(prefix), len(path)):]
	out := append([]byte(nil), value...)
	if len(out) > 0 && out[len(out)-1] == '/' && len(rest) > 0 && rest[0] == '/' {
		rest = rest[1:]
	}
	out = append(out, rest...)
	if len(out) == 0 {
		return []byte("/")
	}
	return out
}

// splitHostPort splits a Host value into host and port (0 when absent),
// keeping the brackets of an IPv6 literal.
func splitHostPort(hostport []byte) ([]byte, int) {
	i := bytes.LastIndexByte(hostport, ':')
	if i < 0 || bytes.IndexByte(hostport[i:], ']') >= 0 {
		return hostport, 0
	}
	port, err := strconv.Atoi(string(hostport[i+1:]))
	if err != nil {
		return hostport, 0
	}
	return hostport[:i], port
}
