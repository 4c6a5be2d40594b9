package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPlanScenarios(t *testing.T) {
	t.Parallel()
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
			wantReason:  map[string]string{"RateLimitPolicy, never hit": "RateLimitPolicy has not landed", "JWT AuthPolicy": "AuthPolicy has not landed"},
		},
		{
			name:        "RateLimitPolicy has landed",
			crds:        []string{"ratelimitpolicies"},
			wantRun:     []string{"one route", "1,000 routes, last matched", "RateLimitPolicy, never hit"},
			wantSkipped: []string{"API-key AuthPolicy", "JWT AuthPolicy", "AuthPolicy and RateLimitPolicy"},
		},
		{
			name:        "AuthPolicy's CRD without a scenario here",
			crds:        []string{"authpolicies"},
			wantRun:     []string{"one route", "1,000 routes, last matched"},
			wantSkipped: []string{"API-key AuthPolicy", "JWT AuthPolicy", "RateLimitPolicy, never hit", "AuthPolicy and RateLimitPolicy"},
			wantReason:  map[string]string{"API-key AuthPolicy": "no AuthPolicy scenario yet"},
		},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			if err := os.MkdirAll(filepath.Join(root, "config", "crd", "bases"), 0o700); err != nil {
				t.Fatal(err)
			}
			for _, plural := range test.crds {
				if err := os.WriteFile(crdFile(root, plural), []byte("kind: CustomResourceDefinition\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			scenarios, skipped := planScenarios(root, 1000)
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
			for _, s := range scenarios {
				if s.request != s.set.routes-1 {
					t.Errorf("%s: the load matches route %d of %d, want the last", s.name, s.request, s.set.routes)
				}
				if (s.set.rateLimit != nil) != s.rateLimitProbe {
					t.Errorf("%s: a rate limit without its enforcement probe, or the reverse", s.name)
				}
				if s.set.rateLimit != nil && *s.set.rateLimit != neverHitLimit {
					t.Errorf("%s: limit %d, want the never-hit %d", s.name, *s.set.rateLimit, neverHitLimit)
				}
			}
		})
	}
}
