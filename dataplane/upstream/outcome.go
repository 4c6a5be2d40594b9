package upstream

import (
	"errors"

	"github.com/valyala/fasthttp"
)

// Outcome says how choosing an endpoint or forwarding to it went. Everything but
// OK means the server must answer the client itself.
type Outcome int

const (
	// OK: the backend's response is in the RequestCtx.
	OK Outcome = iota
	// NoValidBackend: the route has no backend of positive weight, or the chosen
	// backend is Invalid (500, as the Gateway API requires).
	NoValidBackend
	// NoReadyEndpoints: the chosen backend has no ready endpoint (503).
	NoReadyEndpoints
	// Busy: every connection to the endpoint stayed in use for the wait timeout (503).
	Busy
	// Unreachable: refused, reset, closed early, or not a valid HTTP response (502).
	Unreachable
	// Timeout: connecting, writing or reading took too long (504).
	Timeout
)

func (o Outcome) String() string {
	switch o {
	case OK:
		return "OK"
	case NoValidBackend:
		return "NoValidBackend"
	case NoReadyEndpoints:
		return "NoReadyEndpoints"
	case Busy:
		return "Busy"
	case Unreachable:
		return "Unreachable"
	case Timeout:
		return "Timeout"
	default:
		return "Unknown"
	}
}

// classify maps a client error to an Outcome. Only timeouts and pool exhaustion
// are told apart; every other failure (refused, reset, closed before the first
// byte, malformed or oversized response) means the backend could not serve this
// request, which is a 502.
func classify(err error) Outcome {
	// Not net.Error: some connections report timeouts through a Timeout method
	// alone, which is what fasthttp itself checks for.
	var timeout interface{ Timeout() bool }
	switch {
	case errors.Is(err, fasthttp.ErrNoFreeConns):
		return Busy
	case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, fasthttp.ErrDialTimeout),
		errors.As(err, &timeout) && timeout.Timeout():
		return Timeout
	default:
		return Unreachable
	}
}
