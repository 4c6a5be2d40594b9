package server

import (
	"errors"

	"github.com/go-logr/logr"
	"github.com/valyala/fasthttp"

	"github.com/turnpike-gateway/turnpike/dataplane/problem"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
	"github.com/turnpike-gateway/turnpike/dataplane/telemetry"
	"github.com/turnpike-gateway/turnpike/dataplane/upstream"
)

// serveRequest is the whole life of a request in the data plane: handle it,
// then count and log what happened (see requestRecord).
func (dp *DataPlane) serveRequest(ctx *fasthttp.RequestCtx, socketKey string) {
	rec := dp.beginRecord()
	dp.handle(ctx, socketKey, &rec)
	dp.endRecord(ctx, socketKey, &rec)
}

// handle answers the request. The order of the steps is fixed here and nowhere
// else; each step says what it may answer, and records in rec what it decided.
func (dp *DataPlane) handle(ctx *fasthttp.RequestCtx, socketKey string, rec *requestRecord) {
	// 1. Snapshot. One atomic load: a swap during this request changes nothing
	//    for it, and it never sees half of two snapshots.
	st := dp.state.Load()
	if st == nil {
		rec.answer(ctx, telemetry.NoRoute, problem.NoRoute)
		return
	}

	// 2. Route match: listener by host, virtual host, then the first route whose
	//    path, method, headers and query match. Nothing matches: 404.
	route, listener := st.routes.Match(socketKey, (*requestView)(ctx))
	keepQueryAsSent(ctx)
	rec.listener = listener
	if route == nil {
		rec.counters = st.unrouted[listener]
		rec.answer(ctx, telemetry.NoRoute, problem.NoRoute)
		return
	}
	rec.route = route
	plan := st.plans[route]

	// 3. Fail closed: a route whose filters this data plane cannot apply answers
	//    500 rather than being served without them.
	if plan == nil || plan.unservable {
		if plan != nil {
			rec.bind(plan)
		}
		rec.answer(ctx, telemetry.RouteUnavailable, problem.RouteUnavailable)
		return
	}
	rec.bind(plan)

	if plan.auth != nil || plan.limits != nil {
		rs := acquireRequestState(ctx)
		defer dp.finishPolicies(ctx, rs)

		// 4. Auth, once the route (which owns the rules) is known: no valid
		//    credentials: 401; not allowed: 403; a key set or introspection
		//    endpoint out of reach: 503. It comes before the rate limits so that
		//    they can count per authenticated identity, and strips credentials
		//    before any filter or backend sees the request.
		if plan.auth != nil {
			if !dp.checkAuth(ctx, plan, rs) {
				rec.outcome = authOutcome(&rs.decision)
				return
			}
			if rec.sampled {
				rec.identity = rs.activation.Identity
			}
		}

		// 5. Rate limits, before the filters, so that a refused request costs
		//    nothing more. Over a limit: 429; shared counters unreachable with
		//    failure mode closed: 503. The verdict's headers (RateLimit-Policy,
		//    RateLimit, Retry-After) go on whatever response the request ends with.
		if plan.limits != nil && !checkRateLimits(ctx, plan, rs) {
			rec.outcome = rateLimitOutcome(&rs.verdict)
			return
		}
	}

	// 6. Filters, in the order the route lists them. They edit the request; one
	//    that answers the request itself ends it here.
	if !plan.filters.Apply(ctx) {
		rec.outcome = telemetry.Filter
		return
	}

	// 7. Backend by weight, endpoint round robin. No valid backend: 500; no ready
	//    endpoint: 503. This comes after the filters so that a route whose filter
	//    answers (a redirect) needs no backend.
	endpoint, backend, outcome := plan.target.Pick()
	rec.pickedBackend(backend)
	if outcome != upstream.OK {
		rec.outcome = upstreamOutcome(outcome)
		dp.answerFailure(ctx, route, backend, outcome, nil)
		return
	}
	rec.endpoint = endpoint

	// 8. Forward over a pooled connection; the backend's response is relayed.
	//    Unreachable: 502; too slow: 504; no free connection: 503. An upgrade
	//    (WebSocket) gets a dedicated connection and, once the backend switches
	//    protocols, a tunnel that outlives this handler and every later swap.
	var err error
	sent := rec.clock()
	if upstream.IsUpgrade(&ctx.Request.Header) {
		outcome, err = endpoint.Upgrade(ctx, dp.tunnels)
	} else {
		outcome, err = endpoint.Forward(ctx)
	}
	rec.upstreamDone(sent)
	rec.outcome = upstreamOutcome(outcome)
	if outcome != upstream.OK {
		dp.answerFailure(ctx, route, backend, outcome, err)
	}
}

// answerFailure writes the problem for an outcome and logs why at debug level:
// the reason (an address, an error) never goes to the client.
func (dp *DataPlane) answerFailure(ctx *fasthttp.RequestCtx, route *snapshot.Route, backend *snapshot.Backend, outcome upstream.Outcome, err error) {
	writeProblem(ctx, problemFor(outcome))
	if debug := dp.log.V(1); debug.Enabled() {
		kv := []any{"route", route.ID, "outcome", outcome.String()}
		if backend != nil {
			kv = append(kv, "backend", backend.Name)
			if backend.Invalid != "" {
				kv = append(kv, "reason", backend.Invalid)
			}
		}
		if err != nil {
			kv = append(kv, "error", err.Error())
		}
		debug.Info("Request not forwarded", kv...)
	}
}

func problemFor(outcome upstream.Outcome) *problem.Problem {
	switch outcome {
	case upstream.NoReadyEndpoints:
		return problem.NoEndpoints
	case upstream.Busy:
		return problem.UpstreamBusy
	case upstream.Unreachable:
		return problem.UpstreamUnreachable
	case upstream.Timeout:
		return problem.UpstreamTimeout
	default:
		return problem.InvalidBackend
	}
}

// writeProblem replaces whatever response is in ctx with the problem document.
// The body is shared and immutable, so it is set without a copy.
func writeProblem(ctx *fasthttp.RequestCtx, p *problem.Problem) {
	ctx.Response.Reset()
	ctx.Response.SetStatusCode(p.Status)
	ctx.Response.Header.SetContentType(problem.ContentType)
	ctx.Response.SetBodyRaw(p.Body())
}

// answerParseError is the fasthttp ErrorHandler: it answers requests that could
// not be read, before any routing, and counts them with the requests that reached
// no Gateway. fasthttp closes the connection afterwards.
func (dp *DataPlane) answerParseError(ctx *fasthttp.RequestCtx, socketKey string, err error) {
	rec := dp.beginRecord()
	rec.unread = true
	outcome, p := parseErrorOutcome(err)
	rec.answer(ctx, outcome, p)
	dp.endRecord(ctx, socketKey, &rec)
}

// parseErrorOutcome tells why a request could not be read.
func parseErrorOutcome(err error) (telemetry.Outcome, *problem.Problem) {
	var small *fasthttp.ErrSmallBuffer
	// Not net.Error: in-memory and TLS connections report timeouts through a
	// Timeout method alone.
	var timeout interface{ Timeout() bool }
	switch {
	case errors.As(err, &small):
		return telemetry.HeaderTooLarge, problem.HeaderTooLarge
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		return telemetry.BodyTooLarge, problem.BodyTooLarge
	case errors.As(err, &timeout) && timeout.Timeout():
		return telemetry.RequestTimeout, problem.RequestTimeout
	default:
		return telemetry.BadRequest, problem.BadRequest
	}
}

// newFastHTTPServer configures the server of one socket.
func (dp *DataPlane) newFastHTTPServer(socketKey string, conns *connSet) *fasthttp.Server {
	return &fasthttp.Server{
		Handler:      func(ctx *fasthttp.RequestCtx) { dp.serveRequest(ctx, socketKey) },
		ErrorHandler: func(ctx *fasthttp.RequestCtx, err error) { dp.answerParseError(ctx, socketKey, err) },
		ConnState:    conns.track,
		Logger:       fasthttpLogger{log: dp.log.WithValues("socket", socketKey)},

		ReadTimeout:        dp.opts.ReadTimeout,
		WriteTimeout:       dp.opts.WriteTimeout,
		IdleTimeout:        dp.opts.IdleTimeout,
		ReadBufferSize:     dp.opts.MaxHeaderBytes,
		MaxRequestBodySize: dp.opts.MaxRequestBodyBytes,
		Concurrency:        dp.opts.MaxConnections,

		// A drained connection is told so on its last response.
		CloseOnShutdown: true,
		// Relay the backend's headers, and add no Server or Content-Type of our own.
		NoDefaultServerHeader: true,
		NoDefaultContentType:  true,
		// A proxy forwards bodies; it does not parse forms.
		DisablePreParseMultipartForm: true,
		SecureErrorLogMessage:        true,
	}
}

// fasthttpLogger sends fasthttp's own messages (accept errors, overload) to the
// debug log.
type fasthttpLogger struct {
	log logr.Logger
}

func (l fasthttpLogger) Printf(format string, args ...any) {
	if debug := l.log.V(1); debug.Enabled() {
		debug.Info("Message from fasthttp", "format", format, "args", args)
	}
}
