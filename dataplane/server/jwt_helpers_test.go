package server

import (
	"bufio"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/valyala/fasthttp"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// jwksAndToken serves an RS256 key set on loopback and signs one token with
// it, valid for an hour, whose subject is "user-7".
func jwksAndToken(tb testing.TB) (jwksURL, token string) {
	tb.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "k1", Algorithm: string(jose.RS256), Use: "sig"}}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _ = json.NewEncoder(w).Encode(set) }))
	tb.Cleanup(srv.Close)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: "k1"}}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	token, err = jwt.Signed(signer).Claims(map[string]any{"sub": "user-7", "exp": time.Now().Add(time.Hour).Unix()}).Serialize()
	if err != nil {
		tb.Fatal(err)
	}
	return srv.URL, token
}

// jwtAuth accepts bearer tokens signed by a key of the set at jwksURL.
func jwtAuth(jwksURL string) *snapshot.Auth {
	return &snapshot.Auth{Authentication: []*snapshot.Authenticator{{
		AuthRule:    snapshot.AuthRule{Policy: "ns/ap", Name: "jwt"},
		Credentials: snapshot.Credentials{Source: snapshot.CredentialAuthorizationHeader, Name: "Authorization", Prefix: "Bearer"},
		JWT:         &snapshot.JWTAuth{JWKSURL: jwksURL, ClockSkew: 30 * time.Second, RefreshInterval: time.Hour},
	}}}
}

// waitForKeySet sends raw until it is answered 200: the key set is fetched in
// the background after Publish, and until then requests are answered 503.
func waitForKeySet(tb testing.TB, dp *DataPlane, raw string) {
	tb.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var ctx fasthttp.RequestCtx
		if err := ctx.Request.Read(bufio.NewReader(strings.NewReader(raw))); err != nil {
			tb.Fatal(err)
		}
		dp.serveRequest(&ctx, "127.0.0.1:1")
		if ctx.Response.StatusCode() == 200 {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("the key set was not loaded in 10s: status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
		}
	}
}
