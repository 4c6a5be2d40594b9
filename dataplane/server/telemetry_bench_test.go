package server

import (
	"io"
	"net"
	"testing"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"

	"github.com/turnpike-gateway/turnpike/dataplane/telemetry"
)

// benchServeRequest is BenchmarkServeRequest with the given options, so that
// what metrics and the access log cost per request can be read side by side:
//
//	go test -run '^$' -bench 'ServeRequest(Metrics|AccessLog|$)' -count 6 ./dataplane/server/
func benchServeRequest(b *testing.B, opts Options) {
	backend := startBackendWith(b, "bench", func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") })
	dp := inMemoryDataPlane(b, opts, ruleRoute("store", 0, 0, prefixPath("/api"), ref("shop/bench:80", 1, backend)))
	serve, _ := rawServer(b, dp, "GET /api/items?id=7 HTTP/1.1\r\nHost: a.test\r\nUser-Agent: bench/1.0\r\nX-Forwarded-For: 203.0.113.9\r\n\r\n")
	b.ReportAllocs()
	for b.Loop() {
		serve()
	}
}

// BenchmarkServeRequestMetricsOff: no request metrics, no access log.
func BenchmarkServeRequestMetricsOff(b *testing.B) {
	benchServeRequest(b, Options{DisableRequestMetrics: true})
}

// BenchmarkServeRequestMetricsOn: request metrics (the default), no access log.
func BenchmarkServeRequestMetricsOn(b *testing.B) {
	benchServeRequest(b, Options{})
}

// BenchmarkServeRequestAccessLog: metrics and an access-log line for every
// request, written to io.Discard by the writer goroutine.
func BenchmarkServeRequestAccessLog(b *testing.B) {
	benchServeRequest(b, Options{AccessLog: telemetry.AccessLogOptions{Writer: io.Discard}})
}

// BenchmarkServeRequestAccessLogSampledOut: metrics, and an access log that
// samples every request out.
func BenchmarkServeRequestAccessLogSampledOut(b *testing.B) {
	benchServeRequest(b, Options{AccessLog: telemetry.AccessLogOptions{Writer: io.Discard, SampleRate: 0.5, Random: func() float64 { return 0.9 }}})
}

// benchRecord measures what the telemetry adds to a request, without the
// network: starting the record, binding the route's counters, and ending it
// (counting, and rendering the line when logged), on a request already answered.
func benchRecord(b *testing.B, opts Options) {
	backend := startBackendWith(b, "bench", func(ctx *fasthttp.RequestCtx) {})
	ln := fasthttputil.NewInmemoryListener()
	opts.Listen = func(string, string) (net.Listener, error) { return ln, nil }
	dp, _ := startDataPlane(b, nil, opts)
	route := ruleRoute("store", 0, 0, prefixPath("/api"), ref("shop/bench:80", 1, backend))
	l := listener(1, route)
	mustPublish(b, dp, snap(1, l))
	st := dp.state.Load()
	plan, gl := st.plans[route], l.GatewayListeners[0]

	var ctx fasthttp.RequestCtx
	ctx.Init(&fasthttp.Request{}, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}, nil)
	ctx.Request.SetRequestURI("/api/items?id=7")
	ctx.Request.Header.SetHost("a.test")
	ctx.Request.Header.SetUserAgent("bench/1.0")
	ctx.Response.SetBodyString("ok")
	b.ReportAllocs()
	for b.Loop() {
		rec := dp.beginRecord()
		rec.listener, rec.route = gl, route
		rec.bind(plan)
		rec.pickedBackend(route.Backends[0])
		rec.upstreamDone(rec.clock())
		rec.outcome = telemetry.Forwarded
		dp.endRecord(&ctx, "127.0.0.1:1", &rec)
	}
}

func BenchmarkRecordMetricsOff(b *testing.B) { benchRecord(b, Options{DisableRequestMetrics: true}) }

func BenchmarkRecordMetricsOn(b *testing.B) { benchRecord(b, Options{}) }

func BenchmarkRecordAccessLog(b *testing.B) {
	benchRecord(b, Options{AccessLog: telemetry.AccessLogOptions{Writer: io.Discard}})
}

func BenchmarkRecordAccessLogSampledOut(b *testing.B) {
	benchRecord(b, Options{AccessLog: telemetry.AccessLogOptions{Writer: io.Discard, SampleRate: 0.5, Random: func() float64 { return 0.9 }}})
}
