package upstream

import (
	"errors"
	"io"
	"syscall"

	"github.com/valyala/fasthttp"
)

// retryOnStaleConnection lets the client retry an idempotent request (on another
// connection) only when the connection broke before any answer came: the typical
// sign of a pooled keep-alive connection that the backend had already closed.
// Timeouts are never retried: each attempt would wait the full read timeout again.
// The timeout is not reset, so retries stay within the original deadline.
func retryOnStaleConnection(req *fasthttp.Request, _ int, err error) (resetTimeout, retry bool) {
	if !idempotent(&req.Header) {
		return false, false
	}
	stale := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, fasthttp.ErrConnectionClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
	return false, stale
}

// idempotent reports whether the method is idempotent (RFC 9110 section 9.2.2), so
// that sending it twice has the effect of sending it once.
func idempotent(h *fasthttp.RequestHeader) bool {
	return h.IsGet() || h.IsHead() || h.IsPut() || h.IsDelete() || h.IsOptions() || h.IsTrace()
}
