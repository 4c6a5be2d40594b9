package server

import (
	"crypto/x509"

	"github.com/go-logr/logr"
	"github.com/valyala/fasthttp"

	"github.com/turnpike-gateway/turnpike/dataplane/auth"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// checkAuth decides the request against the route's AuthPolicy rules and answers
// it when it is denied: 401 without valid credentials, 403 when not allowed, 503
// when what would verify the credential (a key set, an introspection endpoint)
// cannot be reached. On success the activation carries the identity, which the
// rate limits and filters read next, and the request to be forwarded has lost
// its credentials and gained the policy's success headers.
func (dp *DataPlane) checkAuth(ctx *fasthttp.RequestCtx, plan *routePlan, rs *requestState) bool {
	d := &rs.decision
	plan.auth.Decide((*requestView)(ctx), rs.activation, (*upstreamEdits)(ctx), d)
	if d.Outcome == auth.Allowed {
		return true
	}
	writeDecision(ctx, d)
	if debug := dp.log.V(1); debug.Enabled() {
		debug.Info("Request denied by AuthPolicy", "status", d.Status, "rule", d.Rule, "reason", d.Reason)
	}
	return false
}

// writeDecision replaces whatever response is in ctx with the denial. The body is
// copied: the decision is pooled and reused by the next request.
func writeDecision(ctx *fasthttp.RequestCtx, d *auth.Decision) {
	ctx.Response.Reset()
	ctx.Response.SetStatusCode(d.Status)
	for _, h := range d.Headers {
		ctx.Response.Header.Add(h.Name, h.Value)
	}
	if d.ContentType != "" {
		ctx.Response.Header.SetContentType(d.ContentType)
	}
	ctx.Response.SetBody(d.Body)
}

// buildAuthPlans gives every route with AuthPolicy rules its ready-to-run plan,
// and lets the auth runtime start fetching the key sets the snapshot names (and
// stop those it no longer does).
// Routes that share one Auth (the matches of a rule, the copies of a route on
// several hostnames) share one plan.
func (dp *DataPlane) buildAuthPlans(st *state) {
	plans := map[*snapshot.Auth]*auth.Plan{}
	auths := []*snapshot.Auth{}
	for route, plan := range st.plans {
		if route.Auth == nil {
			continue
		}
		p, ok := plans[route.Auth]
		if !ok {
			p = dp.auth.Plan(route.Auth)
			plans[route.Auth] = p
			auths = append(auths, route.Auth)
		}
		plan.auth = p
	}
	dp.auth.Sync(auths)
}

// AuthDecisions returns how many requests each AuthPolicy rule decided, by
// outcome, for metrics.
func (dp *DataPlane) AuthDecisions() []auth.DecisionCount { return dp.auth.Decisions() }

// The rest of auth.Request.

// Cookie reads a request cookie by name.
func (r *requestView) Cookie(name string) ([]byte, bool) {
	v := r.ctx().Request.Header.Cookie(name)
	return v, len(v) > 0
}

// PeerCertificates are the certificates the TLS client presented, leaf first;
// nil on cleartext connections.
func (r *requestView) PeerCertificates() []*x509.Certificate {
	state := r.ctx().TLSConnectionState()
	if state == nil {
		return nil
	}
	return state.PeerCertificates
}

// upstreamEdits changes the request that is forwarded, for the auth step: it is
// the RequestCtx under another method set, like requestView.
type upstreamEdits fasthttp.RequestCtx

func (u *upstreamEdits) ctx() *fasthttp.RequestCtx { return (*fasthttp.RequestCtx)(u) }

func (u *upstreamEdits) SetHeader(name, value string) { u.ctx().Request.Header.Set(name, value) }

func (u *upstreamEdits) DelHeader(name string) { u.ctx().Request.Header.Del(name) }

func (u *upstreamEdits) DelCookie(name string) { u.ctx().Request.Header.DelCookie(name) }

// DelQueryArg removes a query parameter from the forwarded URI. The query is
// then re-encoded from the parsed arguments (only when a parameter was actually
// removed), and set explicitly: fasthttp would otherwise keep the original query
// string once the last argument is gone.
func (u *upstreamEdits) DelQueryArg(name string) {
	args := u.ctx().QueryArgs()
	if !args.Has(name) {
		return
	}
	args.Del(name)
	u.ctx().URI().SetQueryStringBytes(args.AppendBytes(nil))
}

// authOptions gives the auth runtime the data plane's logger unless the caller
// chose one.
func authOptions(opts auth.RuntimeOptions, log logr.Logger) auth.RuntimeOptions {
	if opts.Log.GetSink() == nil {
		opts.Log = log
	}
	return opts
}
