package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// getJSON fetches url into into, failing the test on anything but a 200 with JSON.
func getJSON(t *testing.T, url string, into any) {
	t.Helper()
	response, err := (&http.Client{Timeout: 10 * time.Second}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer response.Body.Close()
	body, err := io.ReadAll(response.Body)
	if err != nil {
		t.Fatal(err)
	}
	if response.StatusCode != http.StatusOK || response.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET %s: %s, Content-Type %q, want 200 with JSON", url, response.Status, response.Header.Get("Content-Type"))
	}
	if err := json.Unmarshal(body, into); err != nil {
		t.Fatalf("GET %s: %v in %s", url, err, body)
	}
}

// TestRunCredentials follows what Turnpike does with the run's issuer: discovery,
// then the key set, then the token's signature and claims.
func TestRunCredentials(t *testing.T) {
	t.Parallel()
	creds, issuer, err := newRunCredentials()
	if err != nil {
		t.Fatal(err)
	}
	defer issuer.close()
	if !strings.HasPrefix(creds.issuerURL, "http://127.0.0.1:") {
		t.Errorf("issuer %q is not on loopback", creds.issuerURL)
	}

	var discovery struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	getJSON(t, creds.issuerURL+"/.well-known/openid-configuration", &discovery)
	if discovery.Issuer != creds.issuerURL {
		t.Errorf("the discovery document names issuer %q, want %q (they must be equal)", discovery.Issuer, creds.issuerURL)
	}
	var keys jose.JSONWebKeySet
	getJSON(t, discovery.JWKSURI, &keys)
	if len(keys.Keys) != 1 || !keys.Keys[0].IsPublic() || keys.Keys[0].Algorithm != string(jose.RS256) || keys.Keys[0].KeyID == "" {
		t.Fatalf("key set %+v, want one public RS256 key with an ID", keys.Keys)
	}

	token, err := jwt.ParseSigned(creds.token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatalf("the run's token: %v", err)
	}
	if kid := token.Headers[0].KeyID; kid != keys.Keys[0].KeyID {
		t.Errorf("the token names key %q, the set holds %q", kid, keys.Keys[0].KeyID)
	}
	var claims jwt.Claims
	if err := token.Claims(keys.Keys[0].Key, &claims); err != nil {
		t.Fatalf("the token does not verify with the issuer's key: %v", err)
	}
	// Valid now, and still valid well after any run's -timeout.
	if err := claims.ValidateWithLeeway(jwt.Expected{Issuer: creds.issuerURL, Subject: tokenSubject, Time: time.Now().Add(time.Hour)}, 0); err != nil {
		t.Errorf("the token's claims %+v: %v", claims, err)
	}

	wrong, err := jwt.ParseSigned(creds.wrongToken, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatalf("the wrong token is not even a JWT, so it tests only the parser: %v", err)
	}
	if err := wrong.Claims(keys.Keys[0].Key, &claims); err == nil {
		t.Error("the wrong token verifies with the issuer's key")
	}

	if creds.apiKey == creds.wrongAPIKey {
		t.Error("the valid and the wrong API key are the same")
	}
	for _, key := range []string{creds.apiKey, creds.wrongAPIKey} {
		if err := (&routeAuth{apiKey: key}).validate(); err != nil {
			t.Errorf("generated key %q: %v", key, err)
		}
	}
}

func TestIssuerAnswersOnlyItsDocuments(t *testing.T) {
	t.Parallel()
	issuer, err := startIssuer()
	if err != nil {
		t.Fatal(err)
	}
	defer issuer.close()
	client := &http.Client{Timeout: 10 * time.Second}
	for _, test := range []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, issuerPath + "/.well-known/openid-configuration", http.StatusOK},
		{http.MethodGet, issuerPath + "/certs", http.StatusOK},
		{http.MethodGet, "/", http.StatusNotFound},
		{http.MethodPost, issuerPath + "/certs", http.StatusMethodNotAllowed},
	} {
		request, err := http.NewRequest(test.method, strings.TrimSuffix(issuer.url, issuerPath)+test.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		response, err := client.Do(request)
		if err != nil {
			t.Fatal(err)
		}
		response.Body.Close()
		if response.StatusCode != test.want {
			t.Errorf("%s %s: %d, want %d", test.method, test.path, response.StatusCode, test.want)
		}
	}
}

func TestHeaders(t *testing.T) {
	t.Parallel()
	if got := apiKeyHeader("k1").String(); got != "Authorization: APIKEY k1" {
		t.Errorf("API-key header %q", got)
	}
	if got := bearerHeader("a.b.c").String(); got != "Authorization: Bearer a.b.c" {
		t.Errorf("bearer header %q", got)
	}
	if (header{}).isSet() || !apiKeyHeader("k").isSet() {
		t.Error("isSet does not tell an empty header from a credential")
	}
	if got := tamperedToken("aaa.bbb.ccc"); !strings.HasPrefix(got, "aaa.") || !strings.HasSuffix(got, ".ccc") || got == "aaa.bbb.ccc" {
		t.Errorf("tamperedToken kept %q, want the header and signature with another payload", got)
	}
}
