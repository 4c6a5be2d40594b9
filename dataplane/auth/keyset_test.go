package auth

import (
	"crypto/ed25519"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// eventually polls cond until it holds or a generous deadline passes. It
// waits for background work; it asserts nothing about how long that takes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestJWTKeyRotation: a token naming a new key makes the set be fetched again
// (once per MinRefetchInterval however many such tokens arrive), and a key the
// issuer removed stops verifying.
func TestJWTKeyRotation(t *testing.T) {
	t.Parallel()
	clk := newClock()
	r := newRuntime(t, clk)
	i := newIDP(t, "rsa-1")
	plan := r.Plan(jwtAuth(i.issuer()))
	oldToken := sign(t, "rsa-1", i.claims(clk, nil))
	decide(t, plan, newRequest().withBearer(oldToken)).wantAllowed(t)
	hits := i.jwksHits.Load()

	// The issuer rotates: rsa-2 replaces rsa-1.
	i.publish("rsa-2")
	newToken := sign(t, "rsa-2", i.claims(clk, nil))
	// Too soon after the last fetch: the set is not fetched again.
	decide(t, plan, newRequest().withBearer(newToken)).wantRefused(t, 401, "credential-invalid")
	if got := i.jwksHits.Load(); got != hits {
		t.Fatalf("the key set was fetched %d times within MinRefetchInterval, want 0", got-hits)
	}

	clk.Advance(11 * time.Second)
	decide(t, plan, newRequest().withBearer(newToken)).wantAllowed(t)
	if got := i.jwksHits.Load(); got != hits+1 {
		t.Fatalf("the key set was fetched %d times for a new key, want 1", got-hits)
	}
	// The old key is gone, and tokens it verified are not trusted any more.
	o := decide(t, plan, newRequest().withBearer(oldToken))
	o.wantRefused(t, 401, "credential-invalid")
	if got := o.detail(t); got != "The token is signed with a key the issuer does not publish." {
		t.Errorf("detail %q", got)
	}

	// A stream of made-up key IDs costs at most one fetch per interval.
	clk.Advance(11 * time.Second)
	hits = i.jwksHits.Load()
	for n := range 20 {
		token := rawToken(t, map[string]any{"alg": "RS256", "kid": "made-up-" + strconv.Itoa(n)}, i.claims(clk, nil), func([]byte) []byte { return []byte("sig") })
		decide(t, plan, newRequest().withBearer(token)).wantRefused(t, 401, "credential-invalid")
	}
	if got := i.jwksHits.Load() - hits; got > 1 {
		t.Errorf("20 unknown key IDs caused %d fetches, want at most 1", got)
	}
}

// TestJWTKeysNeverLoaded: without keys a token cannot be checked, so the
// answer is 503 with Retry-After, until the issuer is back.
func TestJWTKeysNeverLoaded(t *testing.T) {
	t.Parallel()
	clk := newClock()
	// No background retry while the test runs: the request path alone fetches.
	r := newRuntime(t, clk, func(o *RuntimeOptions) { o.MinBackoff = time.Hour })
	i := newIDP(t)
	i.setFailing(true)
	plan := r.Plan(jwtAuth(i.issuer()))
	token := sign(t, "rsa-1", i.claims(clk, nil))

	o := decide(t, plan, newRequest().withBearer(token))
	o.wantRefused(t, 503, "auth-unavailable")
	if o.d.Outcome != Unavailable {
		t.Errorf("outcome %s, want unavailable", o.d.Outcome)
	}
	retry := o.headers("Retry-After")
	if len(retry) != 1 {
		t.Fatalf("Retry-After %q, want one value", retry)
	}
	if n, err := strconv.Atoi(retry[0]); err != nil || n < 1 {
		t.Errorf("Retry-After %q is not a positive number of seconds", retry[0])
	}
	assertNoLeak(t, o, token)
	// A request without a token is still just missing credentials.
	decide(t, plan, newRequest()).wantRefused(t, 401, "credential-missing")

	i.setFailing(false)
	clk.Advance(11 * time.Second)
	decide(t, plan, newRequest().withBearer(token)).wantAllowed(t)
	if got := count(r, jwtPolicy, "idp", outcomeUnavailable); got != 1 {
		t.Errorf("unavailable counted %d times, want 1", got)
	}
}

// TestJWTBackgroundRefresh: the set is fetched again every refresh interval,
// and a failing issuer leaves the last good keys in use.
func TestJWTBackgroundRefresh(t *testing.T) {
	t.Parallel()
	clk := newClock()
	r := newRuntime(t, clk, func(o *RuntimeOptions) { o.MinBackoff = time.Millisecond })
	i := newIDP(t)
	plan := r.Plan(jwtAuth(i.issuer(), func(j *snapshot.JWTAuth) { j.RefreshInterval = 10 * time.Millisecond }))
	token := sign(t, "rsa-1", i.claims(clk, nil))
	decide(t, plan, newRequest().withBearer(token)).wantAllowed(t)
	eventually(t, "the key set is refreshed", func() bool { return i.jwksHits.Load() >= 3 })

	i.setFailing(true)
	failed := i.jwksHits.Load()
	eventually(t, "refreshes fail", func() bool { return i.jwksHits.Load() >= failed+3 })
	decide(t, plan, newRequest().withBearer(token)).wantAllowed(t)
	decide(t, plan, newRequest().withBearer(sign(t, "ec-1", i.claims(clk, nil)))).wantAllowed(t)
}

// TestSyncStopsKeySetsNoLongerUsed: Sync starts what the policies name and
// stops the rest; Close stops everything.
func TestSyncStopsKeySetsNoLongerUsed(t *testing.T) {
	t.Parallel()
	clk := newClock()
	r := NewRuntime(RuntimeOptions{Now: clk.Now})
	a, b := newIDP(t), newIDP(t)
	authA, authB := jwtAuth(a.issuer()), jwtAuth(b.issuer())
	r.Sync([]*snapshot.Auth{authA, authB})
	sets := func() map[keySetSource]*keySet {
		r.mu.Lock()
		defer r.mu.Unlock()
		out := map[keySetSource]*keySet{}
		for k, v := range r.keySets {
			out[k] = v
		}
		return out
	}
	before := sets()
	if len(before) != 2 {
		t.Fatalf("%d key sets after Sync of two issuers, want 2", len(before))
	}
	eventually(t, "both issuers are fetched", func() bool { return a.jwksHits.Load() > 0 && b.jwksHits.Load() > 0 })

	r.Sync([]*snapshot.Auth{authA})
	after := sets()
	if len(after) != 1 || after[keySetSource{url: a.issuer(), discovery: true}] == nil {
		t.Fatalf("key sets after Sync of one issuer: %v", after)
	}
	select {
	case <-before[keySetSource{url: b.issuer(), discovery: true}].done:
	case <-time.After(20 * time.Second):
		t.Fatal("the fetcher of the issuer no longer used did not stop")
	}
	// A plan built before Sync keeps what it has.
	plan := r.Plan(authA)
	decide(t, plan, newRequest().withBearer(sign(t, "rsa-1", a.claims(clk, nil)))).wantAllowed(t)

	r.Close()
	select {
	case <-after[keySetSource{url: a.issuer(), discovery: true}].done:
	default:
		t.Fatal("Close returned before the fetchers stopped")
	}
	// Plans still answer from the keys they hold.
	decide(t, plan, newRequest().withBearer(sign(t, "ec-1", a.claims(clk, nil)))).wantAllowed(t)
}

func TestParseKeySet(t *testing.T) {
	t.Parallel()
	good := testKeys()["ec-1"].publicJWK()
	goodJSON, err := json.Marshal(good)
	if err != nil {
		t.Fatal(err)
	}
	encryption := testKeys()["rsa-1"].publicJWK()
	encryption.Use, encryption.KeyID = "enc", "enc-1"
	encJSON, _ := json.Marshal(encryption)
	symmetric, _ := json.Marshal(jose.JSONWebKey{Key: []byte("0123456789abcdef0123456789abcdef"), KeyID: "oct-1", Algorithm: "HS256"})
	mislabelled := testKeys()["rsa-2"].publicJWK()
	mislabelled.Algorithm, mislabelled.KeyID = "ES256", "rsa-as-ec"
	misJSON, _ := json.Marshal(mislabelled)
	private, _ := json.Marshal(jose.JSONWebKey{Key: testKeys()["ed-1"].private, KeyID: "ed-private"})

	doc := `{"keys":[` + strings.Join([]string{string(goodJSON), string(encJSON), string(symmetric), `{"kty":"weird","kid":"w"}`, string(misJSON), string(private)}, ",") + `]}`
	ks, err := parseKeySet([]byte(doc), 10)
	if err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range ks.all {
		kids = append(kids, k.kid)
	}
	if strings.Join(kids, ",") != "ec-1,ed-private" {
		t.Errorf("usable keys %v, want ec-1 and ed-private (the public half)", kids)
	}
	if len(ks.skipped) != 4 {
		t.Errorf("skipped %q, want 4 entries", ks.skipped)
	}
	if _, isPublic := ks.byKid["ed-private"][0].key.(ed25519.PublicKey); !isPublic {
		t.Errorf("a published private key was kept as %T, want its public half", ks.byKid["ed-private"][0].key)
	}

	for name, body := range map[string]string{
		"not JSON":        "<html>",
		"no usable key":   `{"keys":[` + string(symmetric) + `]}`,
		"empty":           `{"keys":[]}`,
		"keys not a list": `{"keys":{}}`,
	} {
		if _, err := parseKeySet([]byte(body), 10); err == nil {
			t.Errorf("%s: parsed without error", name)
		}
	}
	capped, err := parseKeySet([]byte(`{"keys":[`+string(goodJSON)+","+string(goodJSON)+","+string(goodJSON)+`]}`), 2)
	if err != nil || len(capped.all) != 2 {
		t.Errorf("MaxKeys 2 kept %d keys (err %v)", len(capped.all), err)
	}
}

// TestOversizeKeySetIsRefused: a response over MaxResponseBytes is not read.
func TestOversizeKeySetIsRefused(t *testing.T) {
	t.Parallel()
	clk := newClock()
	r := newRuntime(t, clk, func(o *RuntimeOptions) { o.MaxResponseBytes = 4096 })
	i := newIDP(t)
	good, _ := json.Marshal(testKeys()["ec-1"].publicJWK())
	i.jwksBody = []byte(`{"keys":[` + string(good) + `],"pad":"` + strings.Repeat("x", 8192) + `"}`)
	plan := r.Plan(jwtAuth(i.issuer()))
	decide(t, plan, newRequest().withBearer(sign(t, "ec-1", i.claims(clk, nil)))).wantRefused(t, 503, "auth-unavailable")
}

// TestJWTUnknownKeyWhileIssuerDown: a token naming a key the set lacks, when
// the issuer cannot be asked about it, is not the client's fault (503); once
// the refetch budget is spent it is refused as usual.
func TestJWTUnknownKeyWhileIssuerDown(t *testing.T) {
	t.Parallel()
	clk := newClock()
	r := newRuntime(t, clk, func(o *RuntimeOptions) { o.MinBackoff = time.Hour })
	i := newIDP(t, "rsa-1")
	plan := r.Plan(jwtAuth(i.issuer()))
	decide(t, plan, newRequest().withBearer(sign(t, "rsa-1", i.claims(clk, nil)))).wantAllowed(t)

	i.setFailing(true)
	clk.Advance(11 * time.Second)
	newKey := sign(t, "rsa-2", i.claims(clk, nil))
	decide(t, plan, newRequest().withBearer(newKey)).wantRefused(t, 503, "auth-unavailable")
	decide(t, plan, newRequest().withBearer(newKey)).wantRefused(t, 401, "credential-invalid")
	// Known keys keep working.
	decide(t, plan, newRequest().withBearer(sign(t, "rsa-1", i.claims(clk, nil)))).wantAllowed(t)
}
