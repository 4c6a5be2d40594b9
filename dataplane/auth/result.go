package auth

import "time"

// verdict is what one authenticator concluded about a request.
type verdict uint8

const (
	// untried: out of scope, or its `when` did not hold.
	untried verdict = iota
	authenticated
	// missing: the request carries no credential for it.
	missing
	invalid
	expired
	// unavailable: the credential could not be checked (keys never fetched,
	// introspection endpoint down).
	unavailable
	numVerdicts
)

// result is an authenticator's verdict with what the answer needs. Its strings
// are constants or built on the refusal path only.
type result struct {
	verdict  verdict
	identity map[string]any
	// description explains a refusal to the client (error_description and the
	// problem's detail). It never holds the credential or key material.
	description string
	// reason is for debug logs only.
	reason string
	// expiredAt is when an expired credential stopped being valid.
	expiredAt time.Time
	// retryAfter is in seconds, for unavailable.
	retryAfter int64
}

func ok(identity map[string]any) result { return result{verdict: authenticated, identity: identity} }

func refused(description, reason string) result {
	return result{verdict: invalid, description: description, reason: reason}
}

func expiredAt(at time.Time, what string) result {
	return result{
		verdict:     expired,
		description: "The " + what + " expired at " + at.UTC().Format(time.RFC3339) + ".",
		reason:      what + " expired",
		expiredAt:   at,
	}
}

func notAvailable(reason string, retryAfter int64) result {
	if retryAfter < 1 {
		retryAfter = 1
	}
	return result{verdict: unavailable, reason: reason, retryAfter: retryAfter}
}

// emptyIdentity is the identity of anonymous access and of requests no
// authenticator applies to. Like every identity it is never written.
var emptyIdentity = map[string]any{}
