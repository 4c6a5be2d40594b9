package upstream

import (
	"bufio"
	"net"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// BenchmarkPrepareAndStrip is the per-request header work of Forward on both
// sides of the exchange, without the network: what a proxied request costs in
// header edits on top of fasthttp's own parsing.
func BenchmarkPrepareAndStrip(b *testing.B) {
	const rawRequest = "GET /api/items?id=7 HTTP/1.1\r\nHost: a.test\r\nUser-Agent: wrk\r\n\r\n"
	const rawResponse = "HTTP/1.1 200 OK\r\nServer: backend\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
	var ctx fasthttp.RequestCtx
	ctx.Init(&fasthttp.Request{}, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}, nil)
	src := strings.NewReader(rawRequest)
	br := bufio.NewReader(src)
	respSrc := strings.NewReader(rawResponse)
	respBr := bufio.NewReader(respSrc)
	b.ReportAllocs()
	for b.Loop() {
		ctx.Request.Reset()
		ctx.Response.Reset()
		src.Reset(rawRequest)
		br.Reset(src)
		respSrc.Reset(rawResponse)
		respBr.Reset(respSrc)
		if err := ctx.Request.Read(br); err != nil {
			b.Fatalf("parsing the request: %v", err)
		}
		if err := ctx.Response.Read(respBr); err != nil {
			b.Fatalf("parsing the response: %v", err)
		}
		prepareRequest(&ctx)
		stripResponseHopByHop(&ctx.Response.Header)
	}
}
