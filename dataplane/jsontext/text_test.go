package jsontext

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestQuotedMatchesEncodingJSON feeds what clients may send (control bytes,
// invalid UTF-8, overlong encodings, surrogates, non-ASCII text) and checks
// that the result is valid JSON that decodes to what encoding/json makes of
// the same input.
func TestQuotedMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	inputs := []string{
		"", "plain", "tab\there", "nl\nand\rcr", "nul\x00bell\x07del\x7f", `"quoted" \back\slash`,
		"café", "日本語", "emoji 😀", "<script>&amp;",
		"\xff", "a\xffb", "\xc3", "\xc3(", "\xe2\x82", "\xe2\x82(", "\xf0\x9f\x98", "\xf0(\x8c(",
		"\xc0\xaf",         // overlong '/'
		"\xe0\x80\xaf",     // overlong '/', three bytes
		"\xed\xa0\x80",     // a surrogate
		"\xf4\x90\x80\x80", // above U+10FFFF
		"\xf5\x80\x80\x80", "\x80", "\xbf\xbf", "ok\xe2\x82\xac€",
	}
	for _, in := range inputs {
		for _, rendered := range [][]byte{AppendQuoted(nil, in), AppendQuoted(nil, []byte(in))} {
			var got string
			if err := json.Unmarshal(rendered, &got); err != nil {
				t.Errorf("%q renders as %s, not JSON: %v", in, rendered, err)
				continue
			}
			reference, _ := json.Marshal(in)
			var want string
			_ = json.Unmarshal(reference, &want)
			if got != want {
				t.Errorf("%q decodes to %q, encoding/json's to %q", in, got, want)
			}
		}
	}
}

func TestQuotedLeavesValidTextAlone(t *testing.T) {
	t.Parallel()
	in := "/shop/caf\u00e9/\u65e5\u672c/\U0001f600"
	if got := string(AppendQuoted(nil, in)); got != `"`+in+`"` {
		t.Errorf("valid UTF-8 was changed: %s", got)
	}
	if got := string(AppendQuoted(nil, strings.Repeat("a", 3))); got != `"aaa"` {
		t.Errorf("got %s", got)
	}
}
