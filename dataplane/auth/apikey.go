package auth

import (
	"time"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// apiKeyVerifier looks keys up by digest in the snapshot's table.
type apiKeyVerifier struct {
	keys map[snapshot.APIKeyDigest]*snapshot.APIKeyIdentity
}

func (v *apiKeyVerifier) verify(_ Request, cred []byte, _ time.Time) result {
	id, found := v.keys[snapshot.DigestAPIKey(cred)]
	if !found || id == nil {
		return refused("The API key is not valid.", "unknown API key")
	}
	if id.Identity == nil {
		return ok(emptyIdentity)
	}
	return ok(id.Identity)
}

// anonymousVerifier lets every request in, with an empty identity.
type anonymousVerifier struct{}

func (anonymousVerifier) verify(Request, []byte, time.Time) result { return ok(emptyIdentity) }
