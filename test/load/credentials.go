package main

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// header is one request header: the credential the load sends with every request
// of an AuthPolicy scenario.
type header struct{ name, value string }

func (h header) isSet() bool { return h.name != "" }

// String is the header as wrk's --header takes it.
func (h header) String() string { return h.name + ": " + h.value }

// The identity of the run's one client: the JWT's subject, which the combined
// scenario's rate limit counts per.
const (
	tokenSubject = "load-client"
	// tokenLifetime outlives any run (the -timeout of a mode is minutes): a token
	// that expired mid-run would turn the load into 401s.
	tokenLifetime = 24 * time.Hour
	// issuerPath is where the issuer lives on its loopback server; the discovery
	// document and the key set are under it, as with Keycloak's realms.
	issuerPath = "/realms/load"
)

// runCredentials are the credentials of one proxy run, made fresh for it: an API
// key and a token the run's own issuer signed, each with a wrong counterpart that
// a policy must refuse.
type runCredentials struct {
	apiKey, wrongAPIKey string
	issuerURL           string
	token, wrongToken   string
}

// apiKeyHeader and bearerHeader carry a credential where the scenarios'
// AuthPolicies look for it: the Authorization header, with the scheme as prefix.
func apiKeyHeader(key string) header   { return header{"Authorization", "APIKEY " + key} }
func bearerHeader(token string) header { return header{"Authorization", "Bearer " + token} }

// newRunCredentials starts the run's issuer and makes the credentials; the caller
// closes the issuer once the rounds are over.
func newRunCredentials() (runCredentials, *loadIssuer, error) {
	var creds runCredentials
	var err error
	if creds.apiKey, err = randomKey(); err != nil {
		return creds, nil, err
	}
	if creds.wrongAPIKey, err = randomKey(); err != nil {
		return creds, nil, err
	}
	issuer, err := startIssuer()
	if err != nil {
		return creds, nil, err
	}
	creds.issuerURL = issuer.url
	if creds.token, err = issuer.sign(tokenSubject, time.Now(), tokenLifetime); err != nil {
		issuer.close()
		return creds, nil, err
	}
	creds.wrongToken = tamperedToken(creds.token)
	return creds, issuer, nil
}

// randomKey is an API key of 32 random bytes, base64url without padding: what a
// user would generate, and safe in a header and in YAML without quoting.
func randomKey() (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("generating an API key: %w", err)
	}
	return "k" + base64.RawURLEncoding.EncodeToString(raw), nil
}

// tamperedToken is token with its payload replaced, the signature kept: well
// formed, signed with the issuer's key ID, and invalid.
func tamperedToken(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return token + "x"
	}
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"somebody-else","exp":4102444800}`))
	return strings.Join(parts, ".")
}

// loadIssuer is an OpenID Connect issuer on 127.0.0.1 inside the harness: a
// discovery document and a key set holding one RSA key generated for the run.
// Turnpike fetches them when a policy first appears (and every ttl after, 10
// minutes by default), so the issuer is up before the first Turnpike starts and
// through the rounds; it answers no request while the load runs.
type loadIssuer struct {
	url    string
	keyID  string
	signer jose.Signer
	server *http.Server
}

func startIssuer() (*loadIssuer, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generating the issuer's RSA key: %w", err)
	}
	suffix := make([]byte, 6)
	if _, err := rand.Read(suffix); err != nil {
		return nil, fmt.Errorf("generating the issuer's key ID: %w", err)
	}
	keyID := "load-" + base64.RawURLEncoding.EncodeToString(suffix)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: keyID}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, fmt.Errorf("creating the issuer's signer: %w", err)
	}
	listener, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting the run's JWT issuer: %w", err)
	}
	issuer := &loadIssuer{url: "http://" + listener.Addr().String() + issuerPath, keyID: keyID, signer: signer}
	discovery, err := json.Marshal(map[string]string{"issuer": issuer.url, "jwks_uri": issuer.url + "/certs"})
	if err != nil {
		listener.Close()
		return nil, err
	}
	keySet, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: key.Public(), KeyID: keyID, Algorithm: string(jose.RS256), Use: "sig"},
	}})
	if err != nil {
		listener.Close()
		return nil, err
	}
	mux := http.NewServeMux()
	serveJSON := func(body []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
		}
	}
	mux.Handle("GET "+issuerPath+"/.well-known/openid-configuration", serveJSON(discovery))
	mux.Handle("GET "+issuerPath+"/certs", serveJSON(keySet))
	issuer.server = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	// Serve fails only when closed, or when accepting fails, in which case Turnpike
	// cannot fetch the key set and the JWT probes say so.
	go func() { _ = issuer.server.Serve(listener) }()
	return issuer, nil
}

// sign is a token for subject, issued now and valid for lifetime.
func (iss *loadIssuer) sign(subject string, now time.Time, lifetime time.Duration) (string, error) {
	claims := jwt.Claims{
		Issuer:   iss.url,
		Subject:  subject,
		IssuedAt: jwt.NewNumericDate(now),
		Expiry:   jwt.NewNumericDate(now.Add(lifetime)),
	}
	token, err := jwt.Signed(iss.signer).Claims(claims).Serialize()
	if err != nil {
		return "", fmt.Errorf("signing the run's token: %w", err)
	}
	return token, nil
}

func (iss *loadIssuer) close() {
	_ = iss.server.Close()
}
