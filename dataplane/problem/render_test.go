package problem

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestAppendBodyMatchesStaticBodies: a rendered document with the static
// status and detail is the static body, byte for byte.
func TestAppendBodyMatchesStaticBodies(t *testing.T) {
	t.Parallel()
	for _, p := range All() {
		if got := p.AppendBody(nil, p.Status, p.Detail); string(got) != string(p.Body()) {
			t.Errorf("%s: AppendBody = %s, want %s", p.Type, got, p.Body())
		}
	}
}

// TestAppendBodyIsTheJSONOfTheProblem: whatever a detail holds, the document
// is valid JSON that decodes to the problem encoding/json would have written.
func TestAppendBodyIsTheJSONOfTheProblem(t *testing.T) {
	t.Parallel()
	details := []string{
		"",
		"The token expired at 2025-01-02T03:04:05Z.",
		`quote " and backslash \ and slash /`,
		"<script>&amp;</script>",
		"control \x00\x01\x1f \b\f\n\r\t end",
		"unicode é ü 中文 😀",
		"separators \u2028 and \u2029",
		"invalid \xff\xfe utf-8 \xc3",
		"del \x7f",
	}
	for _, detail := range details {
		got := CredentialExpired.AppendBody([]byte("prefix:"), 419, detail)
		rest, ok := strings.CutPrefix(string(got), "prefix:")
		if !ok {
			t.Fatalf("AppendBody did not append: %s", got)
		}
		var decoded, want Problem
		if err := json.Unmarshal([]byte(rest), &decoded); err != nil {
			t.Errorf("detail %q: %s is not JSON: %v", detail, rest, err)
			continue
		}
		reference, err := json.Marshal(&Problem{Type: CredentialExpired.Type, Title: CredentialExpired.Title, Status: 419, Detail: detail})
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(reference, &want); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, decoded, cmp.AllowUnexported(Problem{})); diff != "" {
			t.Errorf("detail %q (-want +got):\n%s", detail, diff)
		}
	}
}
