package problem

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBodiesAreRFC9457Documents(t *testing.T) {
	t.Parallel()
	for _, p := range All() {
		t.Run(p.Type, func(t *testing.T) {
			t.Parallel()
			var got map[string]any
			if err := json.Unmarshal(p.Body(), &got); err != nil {
				t.Fatalf("body is not JSON: %v: %s", err, p.Body())
			}
			want := map[string]any{
				"type":   p.Type,
				"title":  p.Title,
				"status": float64(p.Status),
				"detail": p.Detail,
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("body mismatch (-want +got):\n%s", diff)
			}
			if http.StatusText(p.Status) == "" {
				t.Errorf("status %d is not an HTTP status", p.Status)
			}
			if !strings.HasPrefix(p.Type, TypeBase) {
				t.Errorf("type %q does not start with %q", p.Type, TypeBase)
			}
		})
	}
}

func TestTypesAreUniqueAndStable(t *testing.T) {
	t.Parallel()
	// Clients switch on these URIs: changing one is a breaking change, so the list
	// is spelled out here on purpose.
	want := map[string]int{
		"https://turnpike.dev/problems/no-route":                 404,
		"https://turnpike.dev/problems/invalid-backend":          500,
		"https://turnpike.dev/problems/route-unavailable":        500,
		"https://turnpike.dev/problems/no-endpoints":             503,
		"https://turnpike.dev/problems/upstream-busy":            503,
		"https://turnpike.dev/problems/upstream-unreachable":     502,
		"https://turnpike.dev/problems/upstream-timeout":         504,
		"https://turnpike.dev/problems/bad-request":              400,
		"https://turnpike.dev/problems/request-timeout":          408,
		"https://turnpike.dev/problems/request-body-too-large":   413,
		"https://turnpike.dev/problems/request-header-too-large": 431,
		"https://turnpike.dev/problems/rate-limited":             429,
		"https://turnpike.dev/problems/rate-limit-unavailable":   503,
		"https://turnpike.dev/problems/credential-missing":       401,
		"https://turnpike.dev/problems/credential-invalid":       401,
		"https://turnpike.dev/problems/credential-expired":       401,
		"https://turnpike.dev/problems/forbidden":                403,
		"https://turnpike.dev/problems/auth-unavailable":         503,
	}
	got := map[string]int{}
	for _, p := range All() {
		if _, dup := got[p.Type]; dup {
			t.Errorf("type %q is used twice", p.Type)
		}
		got[p.Type] = p.Status
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problem types changed (-want +got):\n%s", diff)
	}
}

func TestDetailsCarryNoInternalDetail(t *testing.T) {
	t.Parallel()
	// Addresses, ports and Go error text must never reach a client.
	leaks := regexp.MustCompile(`\d+\.\d+\.\d+\.\d+|:\d{2,5}\b|fasthttp|dial|tcp|goroutine|/[a-z]+/[a-z]+\.go`)
	for _, p := range All() {
		for _, text := range []string{p.Title, p.Detail} {
			if m := leaks.FindString(text); m != "" {
				t.Errorf("%s leaks %q: %q", p.Type, m, text)
			}
		}
	}
}
