package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// testKey is a private signing key of the test issuer.
type testKey struct {
	kid     string
	alg     jose.SignatureAlgorithm
	private crypto.Signer
}

func (k testKey) publicJWK() jose.JSONWebKey {
	return jose.JSONWebKey{Key: k.private.Public(), KeyID: k.kid, Algorithm: string(k.alg), Use: "sig"}
}

// Keys are generated once per test binary: RSA generation is slow.
var testKeys = sync.OnceValue(func() map[string]testKey {
	mustRSA := func() *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		return k
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return map[string]testKey{
		"rsa-1": {kid: "rsa-1", alg: jose.RS256, private: mustRSA()},
		"rsa-2": {kid: "rsa-2", alg: jose.RS256, private: mustRSA()},
		"ec-1":  {kid: "ec-1", alg: jose.ES256, private: ec},
		"ed-1":  {kid: "ed-1", alg: jose.EdDSA, private: ed},
	}
})

// idp is an OpenID provider on a loopback socket: discovery, JWKS, and
// token signing with the keys it publishes (or not).
type idp struct {
	srv *httptest.Server

	mu        sync.Mutex
	published []string // kids in the JWKS
	// issuerClaim, when set, is the issuer the discovery document names.
	issuerClaim string
	// failing makes the JWKS answer 500.
	failing bool
	// jwksBody, when set, replaces the JWKS document.
	jwksBody []byte

	jwksHits, discoveryHits atomic.Int64
}

func newIDP(t testing.TB, kids ...string) *idp {
	t.Helper()
	if len(kids) == 0 {
		kids = []string{"rsa-1", "ec-1", "ed-1"}
	}
	i := &idp{published: kids}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		i.discoveryHits.Add(1)
		i.mu.Lock()
		issuer := i.issuerClaim
		i.mu.Unlock()
		if issuer == "" {
			issuer = i.srv.URL
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": issuer, "jwks_uri": i.srv.URL + "/keys"})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, _ *http.Request) {
		i.jwksHits.Add(1)
		i.mu.Lock()
		defer i.mu.Unlock()
		if i.failing {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		if i.jwksBody != nil {
			_, _ = w.Write(i.jwksBody)
			return
		}
		set := jose.JSONWebKeySet{}
		for _, kid := range i.published {
			set.Keys = append(set.Keys, testKeys()[kid].publicJWK())
		}
		_ = json.NewEncoder(w).Encode(set)
	})
	i.srv = httptest.NewServer(mux)
	t.Cleanup(i.srv.Close)
	return i
}

func (i *idp) issuer() string { return i.srv.URL }

func (i *idp) publish(kids ...string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.published = kids
}

func (i *idp) setFailing(failing bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.failing = failing
}

// claims returns the usual claims of a token valid at now for 1h.
func (i *idp) claims(clk *clock, extra map[string]any) map[string]any {
	now := clk.Now().Unix()
	c := map[string]any{
		"iss": i.issuer(), "sub": "alice", "aud": "toys",
		"iat": now, "nbf": now, "exp": now + 3600,
		"scope": "read:toys", "groups": []string{"dev", "ops"}, "level": 3,
	}
	for k, v := range extra {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

// sign signs claims with the test key kid (published or not).
func sign(t testing.TB, kid string, claims map[string]any) string {
	t.Helper()
	k, found := testKeys()[kid]
	if !found {
		t.Fatalf("no test key %q", kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: jose.JSONWebKey{Key: k.private, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	return signWith(t, signer, claims)
}

// signWithoutKid signs with the key but names no key ID.
func signWithoutKid(t testing.TB, kid string, claims map[string]any) string {
	t.Helper()
	k := testKeys()[kid]
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: k.private}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return signWith(t, signer, claims)
}

func signWith(t testing.TB, signer jose.Signer, claims map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	token, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// unsignedToken is an "alg: none" token.
func unsignedToken(t testing.TB, claims map[string]any) string {
	t.Helper()
	return rawToken(t, map[string]any{"alg": "none", "typ": "JWT", "kid": "rsa-1"}, claims, nil)
}

// hmacWithPublicKey is the classic confusion attack: an HS256 token whose
// secret is the issuer's RSA public key, as published.
func hmacWithPublicKey(t testing.TB, claims map[string]any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(testKeys()["rsa-1"].private.Public())
	if err != nil {
		t.Fatal(err)
	}
	secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	return rawToken(t, map[string]any{"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}, claims, func(input []byte) []byte {
		mac := hmac.New(sha256.New, secret)
		mac.Write(input)
		return mac.Sum(nil)
	})
}

func rawToken(t testing.TB, header, claims map[string]any, signature func([]byte) []byte) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding
	input := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	var sig []byte
	if signature != nil {
		sig = signature([]byte(input))
	}
	return input + "." + enc.EncodeToString(sig)
}
