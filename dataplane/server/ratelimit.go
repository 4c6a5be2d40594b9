package server

import (
	"strconv"
	"sync"

	"github.com/valyala/fasthttp"

	"github.com/turnpike-gateway/turnpike/dataplane/auth"
	"github.com/turnpike-gateway/turnpike/dataplane/expr"
	"github.com/turnpike-gateway/turnpike/dataplane/problem"
	"github.com/turnpike-gateway/turnpike/dataplane/ratelimit"
)

// requestState is the per-request scratch space of the policy steps: the
// activation that expressions read (the auth step sets its Identity), the auth
// decision and the rate-limit verdict. It is pooled, so that checking limits
// allocates nothing, and it never outlives the handler: release drops its
// reference to the RequestCtx.
type requestState struct {
	activation *expr.Activation
	decision   auth.Decision
	verdict    ratelimit.Verdict
	// limitsChecked is set once the rate limits decided this request; only then
	// does the verdict describe it.
	limitsChecked bool
	// header is where header values are rendered before fasthttp copies them.
	header []byte
}

var requestStates = sync.Pool{New: func() any {
	return &requestState{activation: expr.NewActivation(), header: make([]byte, 0, 256)}
}}

func acquireRequestState(ctx *fasthttp.RequestCtx) *requestState {
	rs := requestStates.Get().(*requestState)
	rs.activation.Reset((*requestView)(ctx))
	rs.limitsChecked = false
	return rs
}

func releaseRequestState(rs *requestState) {
	rs.activation.Reset(nil)
	rs.decision.Reset()
	requestStates.Put(rs)
}

// Response header names of rate limiting (draft-ietf-httpapi-ratelimit-headers).
const (
	headerRateLimitPolicy = "RateLimit-Policy"
	headerRateLimit       = "RateLimit"
	headerRetryAfter      = "Retry-After"
)

// checkRateLimits decides the request against the route's limits and answers
// it when it is refused: 429 over a limit, 503 when the shared counters are
// unreachable and the failure mode is closed. It reports whether the request
// may go on.
func checkRateLimits(ctx *fasthttp.RequestCtx, plan *routePlan, rs *requestState) bool {
	plan.limits.Check(rs.activation, &rs.verdict)
	rs.limitsChecked = true
	switch rs.verdict.Outcome {
	case ratelimit.Limited:
		writeProblem(ctx, problem.RateLimited)
		return false
	case ratelimit.Unavailable:
		writeProblem(ctx, problem.RateLimitUnavailable)
		return false
	}
	return true
}

// finishPolicies adds the rate-limit verdict's headers to whatever response the
// request ends with (the backend's, a filter's, a problem) and releases the
// state. Headers are added, not set: a backend's own RateLimit fields stay, and
// the client sees both lists (Structured Field lists may span several lines).
func (dp *DataPlane) finishPolicies(ctx *fasthttp.RequestCtx, rs *requestState) {
	if !rs.limitsChecked {
		releaseRequestState(rs)
		return
	}
	v, h := &rs.verdict, &ctx.Response.Header
	refused := v.Outcome != ratelimit.Admitted
	if refused {
		rs.header = strconv.AppendInt(rs.header[:0], v.RetryAfterSeconds(), 10)
		h.SetBytesV(headerRetryAfter, rs.header)
	}
	if v.HasHeaders() && (refused || !dp.opts.OmitRateLimitHeaders) {
		rs.header = v.AppendPolicy(rs.header[:0])
		h.AddBytesV(headerRateLimitPolicy, rs.header)
		rs.header = v.AppendRateLimit(rs.header[:0])
		h.AddBytesV(headerRateLimit, rs.header)
	}
	releaseRequestState(rs)
}

// RateLimitStats returns the counts of the rate limiter (counters held,
// evictions, Redis failures), for metrics.
func (dp *DataPlane) RateLimitStats() ratelimit.Stats { return dp.limits.Stats() }
