package server

import (
	"bytes"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/turnpike-gateway/turnpike/dataplane/auth"
	"github.com/turnpike-gateway/turnpike/dataplane/problem"
	"github.com/turnpike-gateway/turnpike/dataplane/ratelimit"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
	"github.com/turnpike-gateway/turnpike/dataplane/telemetry"
	"github.com/turnpike-gateway/turnpike/dataplane/upstream"
)

// requestRecord is what one request did, gathered while it is handled and counted
// (and, when sampled, logged) once it is answered. It lives on the handler's
// stack: it holds pointers into the snapshot and the counters, never the
// RequestCtx, and the access-log line is rendered before the handler returns.
type requestRecord struct {
	// start is when the handler began, on the monotonic clock (see monotonic);
	// end is when the backend's response was in, set with sent.
	start, end time.Duration
	// upstream is how long the backend took; set with sent.
	upstream time.Duration
	// wall is when the handler began, for the access log; set when sampled.
	wall time.Time

	listener *snapshot.GatewayListener
	route    *snapshot.Route
	backend  *snapshot.Backend
	endpoint *upstream.Endpoint
	// metrics are the route's counters for this listener; counters and
	// backendCounters the ones this request adds to (nil when metrics are off).
	metrics         *routeMetrics
	counters        *telemetry.RouteMetrics
	backendCounters *telemetry.BackendMetrics
	// identity is what the auth step authenticated, kept for sampled requests
	// only. Identities are never modified, so it may outlive the pooled
	// state it came from.
	identity map[string]any
	outcome  telemetry.Outcome

	// timed: metrics are on or the request is logged, so the clock is read.
	timed   bool
	sampled bool
	// sent: the request went to the backend (upstream and end are set).
	sent bool
	// unread: the request could not be parsed; only the answer is known.
	unread bool
}

// epoch anchors the request path's clock readings. time.Since on a time with
// a monotonic reading reads one clock, where time.Now reads two (wall and
// monotonic). On our development machines one read costs about 45 ns, and the
// reads were most of what metrics cost per request (BenchmarkRecordMetricsOn).
var epoch = time.Now()

func monotonic() time.Duration { return time.Since(epoch) }

func (dp *DataPlane) beginRecord() requestRecord {
	rec := requestRecord{sampled: dp.accessLog.Sample()}
	rec.timed = rec.sampled || dp.metrics != nil
	switch {
	case rec.sampled:
		rec.wall = time.Now()
		rec.start = rec.wall.Sub(epoch)
	case rec.timed:
		rec.start = monotonic()
	}
	return rec
}

// answer writes Turnpike's own answer.
func (rec *requestRecord) answer(ctx *fasthttp.RequestCtx, o telemetry.Outcome, p *problem.Problem) {
	writeProblem(ctx, p)
	rec.outcome = o
}

// bind picks the route's counters for the listener that accepted the request.
func (rec *requestRecord) bind(plan *routePlan) {
	if rec.metrics = plan.metricsFor(rec.listener); rec.metrics != nil {
		rec.counters = rec.metrics.route
	}
}

func (rec *requestRecord) pickedBackend(b *snapshot.Backend) {
	rec.backend = b
	if rec.metrics != nil && b != nil {
		rec.backendCounters = rec.metrics.backend(rec.route, b)
	}
}

// clock reads the time only when someone will use it.
func (rec *requestRecord) clock() time.Duration {
	if rec.timed {
		return monotonic()
	}
	return 0
}

// upstreamDone ends the backend's share. Its reading also ends the request:
// what remains (rate-limit headers) is too little to pay a clock read for.
func (rec *requestRecord) upstreamDone(sent time.Duration) {
	if rec.timed {
		rec.end = monotonic()
		rec.upstream, rec.sent = rec.end-sent, true
	}
}

// endRecord counts the request and logs it when it was sampled. It runs
// after every step of the handler, the release of its pooled state included.
func (dp *DataPlane) endRecord(ctx *fasthttp.RequestCtx, socketKey string, rec *requestRecord) {
	if !rec.timed {
		return
	}
	end := rec.end
	if !rec.sent {
		end = monotonic()
	}
	elapsed := end - rec.start
	status := ctx.Response.StatusCode()
	if ctx.Hijacked() {
		// An upgrade the backend accepted: its 101 goes to the client over the
		// hijacked connection, never through ctx.Response.
		status = fasthttp.StatusSwitchingProtocols
	}
	if dp.metrics != nil {
		dp.count(ctx, rec, status, elapsed)
	}
	if rec.sampled {
		dp.logRecord(ctx, socketKey, rec, status, elapsed)
	}
}

func (dp *DataPlane) count(ctx *fasthttp.RequestCtx, rec *requestRecord, status int, elapsed time.Duration) {
	counters := rec.counters
	if counters == nil {
		counters = dp.metrics.Unattributed()
	}
	method := telemetry.MethodUnknown
	if !rec.unread {
		method = telemetry.MethodOf(ctx.Method())
	}
	class := telemetry.ClassOf(status)
	if b := rec.backendCounters; b != nil {
		b.Requests.Add(rec.outcome, method, class)
		if rec.sent {
			b.ObserveUpstream(rec.upstream)
		}
	} else {
		counters.Requests.Add(rec.outcome, method, class)
	}
	if rec.unread {
		// Nothing was handled: no duration worth a histogram, no body read.
		return
	}
	counters.Observe(elapsed, elapsed-rec.upstream, requestBodySize(&ctx.Request), responseBodySize(&ctx.Response))
}

// The access-log members, in the order they are written (see
// docs/operations.md, which documents each).
const (
	logSocket        = "socket"
	logGateway       = "gateway"
	logListener      = "listener"
	logRoute         = "route"
	logMethod        = "method"
	logHost          = "host"
	logPath          = "path"
	logStatus        = "status"
	logRequestBytes  = "request_bytes"
	logResponseBytes = "response_bytes"
	logDuration      = "duration_ms"
	logBackend       = "backend"
	logUpstream      = "upstream"
	logUpstreamTime  = "upstream_ms"
	logClient        = "client"
	logIdentityKey   = "identity"
	logUserAgent     = "user_agent"
	logOutcome       = "outcome"
	logProblem       = "problem"
)

// logRecord renders the request's line now, while ctx is still ours, and
// queues it. The query string is never logged: it may carry credentials (an
// API key in a query parameter).
func (dp *DataPlane) logRecord(ctx *fasthttp.RequestCtx, socketKey string, rec *requestRecord, status int, elapsed time.Duration) {
	line := dp.accessLog.NewLine(rec.wall)
	line.String(logSocket, socketKey)
	if gl := rec.listener; gl != nil {
		line.String(logGateway, gl.Gateway)
		line.String(logListener, gl.Name)
	}
	if rec.route != nil {
		line.String(logRoute, rec.route.ID)
	}
	if !rec.unread {
		line.Bytes(logMethod, ctx.Method())
		line.Bytes(logHost, ctx.Host())
		line.Bytes(logPath, ctx.URI().PathOriginal())
	}
	line.Int(logStatus, int64(status))
	if !rec.unread {
		line.Int(logRequestBytes, int64(requestBodySize(&ctx.Request)))
	}
	line.Int(logResponseBytes, int64(responseBodySize(&ctx.Response)))
	line.Millis(logDuration, elapsed)
	if rec.backend != nil {
		line.String(logBackend, rec.backend.Name)
	}
	if rec.endpoint != nil {
		line.String(logUpstream, rec.endpoint.Address())
	}
	if rec.sent {
		line.Millis(logUpstreamTime, rec.upstream)
	}
	line.AddrPort(logClient, (*requestView)(ctx).ClientAddr())
	logIdentity(line, rec.identity)
	if ua := ctx.UserAgent(); len(ua) > 0 && !rec.unread {
		line.Bytes(logUserAgent, ua)
	}
	line.String(logOutcome, rec.outcome.String())
	if t := problemType(&ctx.Response, rec.outcome); len(t) > 0 {
		line.Bytes(logProblem, t)
	}
	dp.accessLog.Send(line)
}

func requestBodySize(req *fasthttp.Request) int {
	if req.IsBodyStream() {
		return max(req.Header.ContentLength(), 0)
	}
	return len(req.Body())
}

func responseBodySize(resp *fasthttp.Response) int {
	if resp.IsBodyStream() {
		return max(resp.Header.ContentLength(), 0)
	}
	return len(resp.Body())
}

var problemTypePrefix = []byte(`{"type":"`)

// problemType reads the type of the problem document Turnpike answered with.
// Every document starts with its type (package problem renders them so), and
// a type URI holds no quote, so no JSON parsing is needed. Empty when the
// backend or a filter answered, or a policy replaced the body.
func problemType(resp *fasthttp.Response, o telemetry.Outcome) []byte {
	if o == telemetry.Forwarded || o == telemetry.Filter || resp.IsBodyStream() {
		return nil
	}
	rest, ok := bytes.CutPrefix(resp.Body(), problemTypePrefix)
	if !ok {
		return nil
	}
	t, _, ok := bytes.Cut(rest, []byte{'"'})
	if !ok {
		return nil
	}
	return t
}

// logIdentity names who the request authenticated as: the "sub" member of the
// identity (a JWT's or an introspected token's subject, a client
// certificate's distinguished name), else the namespace/name of the API key's
// Secret. Nothing else of the identity is logged, and never a credential.
func logIdentity(line *telemetry.Line, identity map[string]any) {
	if sub, ok := identity["sub"].(string); ok && sub != "" {
		line.String(logIdentityKey, sub)
		return
	}
	metadata, _ := identity["metadata"].(map[string]any)
	if name, ok := metadata["name"].(string); ok && name != "" {
		namespace, _ := metadata["namespace"].(string)
		line.NamespacedName(logIdentityKey, namespace, name)
	}
}

func authOutcome(d *auth.Decision) telemetry.Outcome {
	if d.Outcome == auth.Unavailable {
		return telemetry.AuthUnavailable
	}
	return telemetry.AuthDenied
}

func rateLimitOutcome(v *ratelimit.Verdict) telemetry.Outcome {
	if v.Outcome == ratelimit.Unavailable {
		return telemetry.RateLimitUnavailable
	}
	return telemetry.RateLimited
}

func upstreamOutcome(o upstream.Outcome) telemetry.Outcome {
	switch o {
	case upstream.OK:
		return telemetry.Forwarded
	case upstream.NoReadyEndpoints:
		return telemetry.NoEndpoints
	case upstream.Busy:
		return telemetry.UpstreamBusy
	case upstream.Unreachable:
		return telemetry.UpstreamUnreachable
	case upstream.Timeout:
		return telemetry.UpstreamTimeout
	default:
		return telemetry.InvalidBackend
	}
}
