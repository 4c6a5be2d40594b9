package filter

import (
	"bufio"
	"crypto/tls"
	"net"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

func TestRequestRedirect(t *testing.T) {
	t.Parallel()
	prefix := func(matched, value string) *snapshot.PathModifier {
		return &snapshot.PathModifier{Type: snapshot.ReplacePrefixMatch, Value: value, MatchedPrefix: matched}
	}
	tests := []struct {
		name     string
		redirect snapshot.Redirect
		host     string
		target   string
		want     string
		status   int
	}{
		{"hostname, default status", snapshot.Redirect{Hostname: "example.org", StatusCode: 302}, "example.com", "/hostname-redirect", "http://example.org/hostname-redirect", 302},
		{"status 301 keeps host and query", snapshot.Redirect{StatusCode: 301}, "example.com", "/a?x=1&y=%20", "http://example.com/a?x=1&y=%20", 301},
		{"listener port kept when scheme is not set", snapshot.Redirect{Hostname: "example.org", StatusCode: 302}, "example.com:8080", "/p", "http://example.org:8080/p", 302},
		{"scheme https: well-known port, left out", snapshot.Redirect{Scheme: "https", StatusCode: 302}, "example.com:8080", "/p", "https://example.com/p", 302},
		{"explicit port", snapshot.Redirect{Port: 8443, Scheme: "https", StatusCode: 307}, "example.com", "/p", "https://example.com:8443/p", 307},
		{"port 80 with http left out", snapshot.Redirect{Port: 80, StatusCode: 308}, "example.com:8080", "/p", "http://example.com/p", 308},
		{"port 443 with http kept", snapshot.Redirect{Port: 443, StatusCode: 303}, "example.com", "/p", "http://example.com:443/p", 303},
		{"full path", snapshot.Redirect{Path: &snapshot.PathModifier{Type: snapshot.ReplaceFullPath, Value: "/new"}, StatusCode: 302}, "a.test", "/old/x?q=1", "http://a.test/new?q=1", 302},
		{"prefix /foo -> /xyz, exact", snapshot.Redirect{Path: prefix("/foo", "/xyz"), StatusCode: 302}, "a.test", "/foo", "http://a.test/xyz", 302},
		{"prefix /foo -> /xyz, trailing slash", snapshot.Redirect{Path: prefix("/foo", "/xyz"), StatusCode: 302}, "a.test", "/foo/", "http://a.test/xyz/", 302},
		{"prefix /foo -> /xyz, deeper", snapshot.Redirect{Path: prefix("/foo", "/xyz"), StatusCode: 302}, "a.test", "/foo/bar", "http://a.test/xyz/bar", 302},
		{"prefix /foo -> /", snapshot.Redirect{Path: prefix("/foo", "/"), StatusCode: 302}, "a.test", "/foo/bar", "http://a.test/bar", 302},
		{"prefix /foo -> /, exact", snapshot.Redirect{Path: prefix("/foo", "/"), StatusCode: 302}, "a.test", "/foo", "http://a.test/", 302},
		{"prefix / -> /xyz", snapshot.Redirect{Path: prefix("/", "/xyz"), StatusCode: 302}, "a.test", "/bar", "http://a.test/xyz/bar", 302},
		{"prefix /foo -> /xyz/", snapshot.Redirect{Path: prefix("/foo", "/xyz/"), StatusCode: 302}, "a.test", "/foo/bar", "http://a.test/xyz/bar", 302},
		{"IPv6 host keeps brackets", snapshot.Redirect{StatusCode: 302}, "[::1]:8080", "/p", "http://[::1]:8080/p", 302},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			chain, err := Build([]snapshot.Filter{{Type: snapshot.FilterRequestRedirect, RequestRedirect: &tt.redirect}})
			if err != nil {
				t.Fatal(err)
			}
			ctx := requestCtx(t, "GET "+tt.target+" HTTP/1.1\r\nHost: "+tt.host+"\r\n\r\n", nil)
			if chain.Apply(ctx) {
				t.Fatal("the redirect let the request through")
			}
			if got := ctx.Response.StatusCode(); got != tt.status {
				t.Errorf("status %d, want %d", got, tt.status)
			}
			if got := string(ctx.Response.Header.Peek("Location")); got != tt.want {
				t.Errorf("Location %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRequestRedirectKeepsTheSchemeOfTLS(t *testing.T) {
	t.Parallel()
	chain, err := Build([]snapshot.Filter{{Type: snapshot.FilterRequestRedirect, RequestRedirect: &snapshot.Redirect{Hostname: "b.test", StatusCode: 301}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := requestCtx(t, "GET /x HTTP/1.1\r\nHost: a.test\r\n\r\n", tls.Client(nopConn{}, &tls.Config{}))
	chain.Apply(ctx)
	if got := string(ctx.Response.Header.Peek("Location")); got != "https://b.test/x" {
		t.Errorf("Location %q, want https://b.test/x", got)
	}
}

// requestCtx parses raw into a RequestCtx, over conn when set (a *tls.Conn
// makes IsTLS true).
func requestCtx(t *testing.T, raw string, conn net.Conn) *fasthttp.RequestCtx {
	t.Helper()
	var ctx fasthttp.RequestCtx
	if conn != nil {
		ctx.Init2(conn, nil, false)
	}
	if err := ctx.Request.Read(bufio.NewReader(strings.NewReader(raw))); err != nil {
		t.Fatal(err)
	}
	return &ctx
}

// nopConn is a connection that is never used: only its type matters.
type nopConn struct{ net.Conn }
