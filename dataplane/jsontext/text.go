package jsontext

import "unicode/utf8"

const hexDigits = "0123456789abcdef"

// AppendQuoted appends s as a JSON string. Control characters, quotes and
// backslashes are escaped, and invalid UTF-8 becomes U+FFFD, so that a line
// stays valid JSON whatever a client put in its path or headers.
func AppendQuoted[T string | []byte](dst []byte, s T) []byte {
	dst = append(dst, '"')
	dst = AppendEscaped(dst, s)
	return append(dst, '"')
}

// AppendEscaped is AppendQuoted without the quotes.
func AppendEscaped[T string | []byte](dst []byte, s T) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		size := runeLen(s, i)
		if size == 0 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	return append(dst, s[start:]...)
}

// runeLen returns the length of the valid UTF-8 sequence that starts at s[i]
// (a byte at least utf8.RuneSelf), or 0 when it is not one: a stray
// continuation byte, a truncated sequence, an overlong encoding or a
// surrogate. It is utf8.DecodeRune's validation for strings and bytes alike,
// without converting one into the other.
func runeLen[T string | []byte](s T, i int) int {
	c, n := s[i], len(s)-i
	lo, hi := byte(0x80), byte(0xBF)
	switch {
	case c >= 0xC2 && c <= 0xDF:
		if n >= 2 && isContinuation(s[i+1], lo, hi) {
			return 2
		}
	case c >= 0xE0 && c <= 0xEF:
		if c == 0xE0 {
			lo = 0xA0
		} else if c == 0xED {
			hi = 0x9F
		}
		if n >= 3 && isContinuation(s[i+1], lo, hi) && isContinuation(s[i+2], 0x80, 0xBF) {
			return 3
		}
	case c >= 0xF0 && c <= 0xF4:
		if c == 0xF0 {
			lo = 0x90
		} else if c == 0xF4 {
			hi = 0x8F
		}
		if n >= 4 && isContinuation(s[i+1], lo, hi) && isContinuation(s[i+2], 0x80, 0xBF) && isContinuation(s[i+3], 0x80, 0xBF) {
			return 4
		}
	}
	return 0
}

func isContinuation(c, lo, hi byte) bool { return c >= lo && c <= hi }
