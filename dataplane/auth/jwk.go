package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"fmt"

	jose "github.com/go-jose/go-jose/v4"
)

// allowedAlgorithms are the signature algorithms a token may use: asymmetric
// only. "none" and the HMAC family are refused when the token is parsed, so a
// public key is never used as an HMAC secret.
var allowedAlgorithms = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512,
	jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512,
	jose.EdDSA,
}

// keyFamily is the kind of public key, which decides the algorithms it serves.
type keyFamily uint8

const (
	familyRSA keyFamily = iota + 1
	familyEC
	familyEd25519
)

func algorithmFamily(alg jose.SignatureAlgorithm) keyFamily {
	switch alg {
	case jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512:
		return familyRSA
	case jose.ES256, jose.ES384, jose.ES512:
		return familyEC
	case jose.EdDSA:
		return familyEd25519
	}
	return 0
}

// publicKey is one verification key of a key set.
type publicKey struct {
	kid string
	// alg is the JWK's "alg", empty when it names none.
	alg    jose.SignatureAlgorithm
	family keyFamily
	key    any
}

// serves reports whether the key may verify a token signed with alg.
func (k *publicKey) serves(alg jose.SignatureAlgorithm) bool {
	return k.family == algorithmFamily(alg) && (k.alg == "" || k.alg == alg)
}

// keys is one fetched generation of a key set; it is never modified.
type keys struct {
	byKid map[string][]*publicKey
	all   []*publicKey
	// digest is the SHA-256 of the document they come from: a fetch of the
	// same document keeps the generation (and the tokens it verified).
	digest [32]byte
	// skipped explains the keys left out, for the debug log.
	skipped []string
}

// parseKeySet reads a JWK Set (RFC 7517 section 5). Keys that cannot verify
// signatures (symmetric, encryption-only, unknown types) are skipped one by
// one; a set with no usable key is an error, so that the last good set stays.
func parseKeySet(body []byte, maxKeys int) (*keys, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("not a JWK set: %w", err)
	}
	out := &keys{byKid: map[string][]*publicKey{}}
	for i, raw := range doc.Keys {
		if len(out.all) == maxKeys {
			out.skipped = append(out.skipped, fmt.Sprintf("keys from #%d on: the set holds more than %d", i, maxKeys))
			break
		}
		k, err := parsePublicKey(raw)
		if err != nil {
			out.skipped = append(out.skipped, fmt.Sprintf("#%d: %v", i, err))
			continue
		}
		out.all = append(out.all, k)
		out.byKid[k.kid] = append(out.byKid[k.kid], k)
	}
	if len(out.all) == 0 {
		return nil, fmt.Errorf("no key can verify signatures (%d keys in the set)", len(doc.Keys))
	}
	return out, nil
}

func parsePublicKey(raw json.RawMessage) (*publicKey, error) {
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(raw); err != nil {
		return nil, err
	}
	if jwk.Use != "" && jwk.Use != "sig" {
		return nil, fmt.Errorf("key %q is for %q, not signatures", jwk.KeyID, jwk.Use)
	}
	if !jwk.Valid() {
		return nil, fmt.Errorf("key %q is not valid", jwk.KeyID)
	}
	// A published private key still verifies with its public half; a
	// symmetric key never verifies anything here.
	if !jwk.IsPublic() {
		jwk = jwk.Public()
	}
	k := &publicKey{kid: jwk.KeyID, alg: jose.SignatureAlgorithm(jwk.Algorithm)}
	switch key := jwk.Key.(type) {
	case *rsa.PublicKey:
		k.family, k.key = familyRSA, key
	case *ecdsa.PublicKey:
		k.family, k.key = familyEC, key
	case ed25519.PublicKey:
		k.family, k.key = familyEd25519, key
	default:
		return nil, fmt.Errorf("key %q is not an RSA, EC or Ed25519 public key", jwk.KeyID)
	}
	if k.alg != "" && algorithmFamily(k.alg) != k.family {
		return nil, fmt.Errorf("key %q names algorithm %q, which is not accepted for its type", k.kid, k.alg)
	}
	return k, nil
}

// maxKeylessCandidates bounds how many keys a token without "kid" is tried
// against, so that such a token cannot cost one verification per key.
const maxKeylessCandidates = 4

// candidates appends the keys that may have signed a token with kid and alg:
// the keys with that ID, else (a token without "kid", or a set whose keys have
// none) the first keys of a matching type.
func (ks *keys) candidates(dst []*publicKey, kid string, alg jose.SignatureAlgorithm) []*publicKey {
	if kid != "" {
		for _, k := range ks.byKid[kid] {
			if k.serves(alg) {
				dst = append(dst, k)
			}
		}
		if len(dst) > 0 || len(ks.byKid[""]) == 0 {
			return dst
		}
	}
	for _, k := range ks.all {
		if kid != "" && k.kid != "" {
			continue
		}
		if len(dst) == maxKeylessCandidates {
			break
		}
		if k.serves(alg) {
			dst = append(dst, k)
		}
	}
	return dst
}
