package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// testCredentials stand for a run's: planScenarios only passes them on.
var testCredentials = runCredentials{apiKey: "k-valid", wrongAPIKey: "k-wrong", issuerURL: "http://127.0.0.1:9/realms/load",
	token: "valid.jwt.token", wrongToken: "wrong.jwt.token"}

func TestPlanScenarios(t *testing.T) {
	t.Parallel()
	all := []string{"one route", "1,000 routes, last matched", "API-key AuthPolicy", "JWT AuthPolicy", "RateLimitPolicy, never hit", "AuthPolicy and RateLimitPolicy"}
	tests := []struct {
		name        string
		crds        []string
		wantRun     []string
		wantSkipped []string
		wantReason  map[string]string
	}{
		{
			name:        "no policy has landed",
			wantRun:     []string{"one route", "1,000 routes, last matched"},
			wantSkipped: []string{"API-key AuthPolicy", "JWT AuthPolicy", "RateLimitPolicy, never hit", "AuthPolicy and RateLimitPolicy"},
			wantReason: map[string]string{
				"RateLimitPolicy, never hit":     "RateLimitPolicy has not landed",
				"JWT AuthPolicy":                 "AuthPolicy has not landed (no config/crd/bases/turnpike.dev_authpolicies.yaml)",
				"AuthPolicy and RateLimitPolicy": "AuthPolicy has not landed (no config/crd/bases/turnpike.dev_authpolicies.yaml); RateLimitPolicy has not landed",
			},
		},
		{
			name:        "RateLimitPolicy has landed",
			crds:        []string{"ratelimitpolicies"},
			wantRun:     []string{"one route", "1,000 routes, last matched", "RateLimitPolicy, never hit"},
			wantSkipped: []string{"API-key AuthPolicy", "JWT AuthPolicy", "AuthPolicy and RateLimitPolicy"},
			wantReason:  map[string]string{"AuthPolicy and RateLimitPolicy": "AuthPolicy has not landed"},
		},
		{
			name:        "AuthPolicy has landed",
			crds:        []string{"authpolicies"},
			wantRun:     []string{"one route", "1,000 routes, last matched", "API-key AuthPolicy", "JWT AuthPolicy"},
			wantSkipped: []string{"RateLimitPolicy, never hit", "AuthPolicy and RateLimitPolicy"},
			wantReason:  map[string]string{"AuthPolicy and RateLimitPolicy": "RateLimitPolicy has not landed"},
		},
		{
			name:    "both have landed",
			crds:    []string{"authpolicies", "ratelimitpolicies"},
			wantRun: all,
		},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			scenarios, skipped := planScenarios(rootWithCRDs(t, test.crds...), 1000, testCredentials)
			sortSkipped(skipped)
			var run, notRun []string
			for _, s := range scenarios {
				run = append(run, s.name)
			}
			for _, s := range skipped {
				notRun = append(notRun, s.name)
				if want, ok := test.wantReason[s.name]; ok && !strings.Contains(s.reason, want) {
					t.Errorf("%s skipped because %q, want %q", s.name, s.reason, want)
				}
			}
			if diff := cmp.Diff(test.wantRun, run); diff != "" {
				t.Errorf("scenarios run (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(test.wantSkipped, notRun); diff != "" {
				t.Errorf("scenarios skipped (-want +got):\n%s", diff)
			}
			if got := append(slices.Clone(run), notRun...); !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(all))) {
				t.Errorf("run and skipped together are %v, want every scenario of the issue once", got)
			}
		})
	}
}

// TestPlannedScenariosAreWhatTheyClaim checks each scenario's configuration
// against its name: what it authenticates with, what the load sends, what the
// probes check and whether nginx can serve it.
func TestPlannedScenariosAreWhatTheyClaim(t *testing.T) {
	t.Parallel()
	scenarios, _ := planScenarios(rootWithCRDs(t, "authpolicies", "ratelimitpolicies"), 1000, testCredentials)
	type claim struct {
		auth, credential, wrongCredential, counter string
		nginx                                      bool
	}
	want := map[string]claim{
		"one route":                  {nginx: true},
		"1,000 routes, last matched": {nginx: true},
		"API-key AuthPolicy": {auth: "API key k-valid", credential: "Authorization: APIKEY k-valid",
			wrongCredential: "Authorization: APIKEY k-wrong", nginx: true},
		"JWT AuthPolicy": {auth: "JWT of http://127.0.0.1:9/realms/load", credential: "Authorization: Bearer valid.jwt.token",
			wrongCredential: "Authorization: Bearer wrong.jwt.token"},
		"RateLimitPolicy, never hit": {nginx: true},
		"AuthPolicy and RateLimitPolicy": {auth: "JWT of http://127.0.0.1:9/realms/load", credential: "Authorization: Bearer valid.jwt.token",
			wrongCredential: "Authorization: Bearer wrong.jwt.token", counter: "auth.identity.sub"},
	}
	got := map[string]claim{}
	for _, s := range scenarios {
		c := claim{counter: s.set.rateLimitCounter, nginx: nginxUnsupported(s.set) == ""}
		switch {
		case s.set.auth == nil:
		case s.set.auth.apiKey != "":
			c.auth = "API key " + s.set.auth.apiKey
		default:
			c.auth = "JWT of " + s.set.auth.issuerURL
		}
		if s.credential.isSet() {
			c.credential, c.wrongCredential = s.credential.String(), s.wrongCredential.String()
		}
		got[s.name] = c
		if s.request != s.set.routes-1 {
			t.Errorf("%s: the load matches route %d of %d, want the last", s.name, s.request, s.set.routes)
		}
		if (s.set.rateLimit != nil) != s.rateLimitProbe {
			t.Errorf("%s: a rate limit without its enforcement probe, or the reverse", s.name)
		}
		if s.set.rateLimit != nil && *s.set.rateLimit != neverHitLimit {
			t.Errorf("%s: limit %d, want the never-hit %d", s.name, *s.set.rateLimit, neverHitLimit)
		}
		if err := s.set.validate(); err != nil {
			t.Errorf("%s: %v", s.name, err)
		}
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(claim{})); diff != "" {
		t.Errorf("scenarios (-want +got):\n%s", diff)
	}
}

// rootWithCRDs is a source tree holding the CRDs of the given plurals.
func rootWithCRDs(t *testing.T, plurals ...string) string {
	t.Helper()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "config", "crd", "bases"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, plural := range plurals {
		if err := os.WriteFile(crdFile(root, plural), []byte("kind: CustomResourceDefinition\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return root
}
