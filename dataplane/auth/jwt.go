package auth

import (
	"crypto/sha256"
	"errors"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// jwtVerifier checks bearer JWTs against one issuer's key set and one rule's
// expectations (issuer, audiences, clock skew).
type jwtVerifier struct {
	ks        *keySet
	issuer    string
	audiences []string
	skew      time.Duration
}

func newJWTVerifier(r *Runtime, j *snapshot.JWTAuth) (*jwtVerifier, error) {
	src, ok := newKeySetSource(j)
	if !ok {
		return nil, errors.New("a JWT rule needs an issuer URL or a JWKS URL")
	}
	skew := j.ClockSkew
	if skew < 0 {
		skew = 0
	}
	return &jwtVerifier{
		ks:        r.keySet(src, r.refreshInterval(j)),
		issuer:    j.IssuerURL,
		audiences: j.Audiences,
		skew:      skew,
	}, nil
}

// verifiedToken is a token whose signature checked out with one generation of
// its key set; its time and audience are checked on every use.
type verifiedToken struct {
	keys          *keys
	claims        map[string]any
	issuer        string
	audience      []string
	exp, nbf, iat time.Time
}

func (j *jwtVerifier) verify(_ Request, cred []byte, now time.Time) result {
	d := digest(sha256.Sum256(cred))
	current := j.ks.keys.Load()
	if current != nil {
		if t, hit := j.ks.verified.get(d); hit && t.keys == current {
			return j.check(t, now)
		}
	}
	t, res := j.verifySignature(cred, current)
	if t == nil {
		return res
	}
	// A token past its expiry is not worth a cache slot.
	if t.exp.IsZero() || now.Before(t.exp.Add(j.skew)) {
		j.ks.verified.put(d, t)
	}
	return j.check(t, now)
}

// verifySignature parses the token and checks its signature with a key of the
// set, fetching the set again (within limits) when it does not know the key.
func (j *jwtVerifier) verifySignature(cred []byte, current *keys) (*verifiedToken, result) {
	tok, err := jose.ParseSignedCompact(string(cred), allowedAlgorithms)
	if err != nil {
		var algErr *jose.ErrUnexpectedSignatureAlgorithm
		if errors.As(err, &algErr) {
			return nil, refused("The token is signed with an algorithm that is not accepted; use RS256, PS256, ES256, EdDSA or a stronger variant.", err.Error())
		}
		return nil, refused("The token is not a signed JWT in compact serialization.", err.Error())
	}
	header := tok.Signatures[0].Header
	alg := jose.SignatureAlgorithm(header.Algorithm)
	if current == nil {
		j.ks.refetch()
		if current = j.ks.keys.Load(); current == nil {
			return nil, notAvailable("the keys of "+j.ks.src.String()+" were never fetched", j.ks.retryAfter())
		}
	}
	var room [maxKeylessCandidates]*publicKey
	candidates := current.candidates(room[:0], header.KeyID, alg)
	if len(candidates) == 0 {
		switch j.ks.refetch() {
		case refetchDone:
			current = j.ks.keys.Load()
			candidates = current.candidates(room[:0], header.KeyID, alg)
		case refetchFailed:
			// The key may be new, and the issuer cannot say: the client is
			// not known to be wrong.
			return nil, notAvailable("the key set of "+j.ks.src.String()+" could not be fetched again for an unknown key", j.ks.retryAfter())
		}
	}
	if len(candidates) == 0 {
		return nil, refused("The token is signed with a key the issuer does not publish.", "no key with kid "+header.KeyID+" for "+header.Algorithm)
	}
	var payload []byte
	for _, k := range candidates {
		if payload, err = tok.Verify(k.key); err == nil {
			break
		}
	}
	if err != nil {
		return nil, refused("The token's signature is not valid.", err.Error())
	}
	t, err := parseClaims(payload)
	if err != nil {
		return nil, refused("The token's claims are not a valid JWT claims set.", err.Error())
	}
	t.keys = current
	return t, result{}
}

// check validates what may change between two uses of a verified token
// (time) and what differs between rules sharing a key set (issuer, audience).
func (j *jwtVerifier) check(t *verifiedToken, now time.Time) result {
	if j.issuer != "" && t.issuer != j.issuer {
		return refused("The token was issued by an issuer this route does not trust.", "unexpected iss")
	}
	if len(j.audiences) > 0 && !intersects(j.audiences, t.audience) {
		return refused("The token is not meant for this audience.", "unexpected aud")
	}
	if !t.exp.IsZero() && !now.Before(t.exp.Add(j.skew)) {
		return expiredAt(t.exp, "token")
	}
	if !t.nbf.IsZero() && now.Add(j.skew).Before(t.nbf) {
		return refused("The token is not valid yet.", "nbf in the future")
	}
	if !t.iat.IsZero() && now.Add(j.skew).Before(t.iat) {
		return refused("The token was issued in the future.", "iat in the future")
	}
	return ok(t.claims)
}

func intersects(want, have []string) bool {
	for _, w := range want {
		for _, h := range have {
			if w == h {
				return true
			}
		}
	}
	return false
}
