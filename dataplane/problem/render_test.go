package problem

import (
	"encoding/json"
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

// TestAppendBodyEscapesLikeEncodingJSON: details are escaped exactly as
// encoding/json escapes them, whatever they hold.
func TestAppendBodyEscapesLikeEncodingJSON(t *testing.T) {
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
		want, err := json.Marshal(&Problem{Type: CredentialExpired.Type, Title: CredentialExpired.Title, Status: 419, Detail: detail})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff("prefix:"+string(want), string(got)); diff != "" {
			t.Errorf("detail %q (-want +got):\n%s", detail, diff)
		}
	}
}
