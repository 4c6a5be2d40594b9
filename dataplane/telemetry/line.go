package telemetry

import (
	"net/netip"
	"strconv"
	"time"
	"unicode/utf8"
)

// Line is one access-log line being rendered: a JSON object whose members are
// appended in order. Keys are written as given (they are constants of the data
// plane, never request data); values are escaped. A Line comes from
// AccessLog.NewLine and goes back with AccessLog.Send, which owns it from then on.
type Line struct {
	buf []byte
}

// maxPooledLine bounds the buffers kept for reuse, so that one huge line (a
// long path) does not pin its buffer forever.
const maxPooledLine = 64 << 10

func (l *Line) key(key string) {
	l.buf = append(l.buf, ',', '"')
	l.buf = append(l.buf, key...)
	l.buf = append(l.buf, '"', ':')
}

// String adds a string member.
func (l *Line) String(key, value string) {
	l.key(key)
	l.buf = appendQuoted(l.buf, value)
}

// Bytes adds a string member from bytes, such as a request header.
func (l *Line) Bytes(key string, value []byte) {
	l.key(key)
	l.buf = appendQuoted(l.buf, value)
}

// NamespacedName adds "namespace/name", or "name" when namespace is empty,
// without building the string first.
func (l *Line) NamespacedName(key, namespace, name string) {
	l.key(key)
	l.buf = append(l.buf, '"')
	if namespace != "" {
		l.buf = appendEscaped(l.buf, namespace)
		l.buf = append(l.buf, '/')
	}
	l.buf = appendEscaped(l.buf, name)
	l.buf = append(l.buf, '"')
}

// Int adds a number.
func (l *Line) Int(key string, value int64) {
	l.key(key)
	l.buf = strconv.AppendInt(l.buf, value, 10)
}

// Millis adds a duration in milliseconds with three decimals (microseconds),
// rounded to the nearest; formatted as integers, which is several times
// cheaper than formatting a float.
func (l *Line) Millis(key string, d time.Duration) {
	l.key(key)
	if d < 0 {
		l.buf = append(l.buf, '-')
		d = -d
	}
	micros := (d + time.Microsecond/2) / time.Microsecond
	l.buf = strconv.AppendInt(l.buf, int64(micros/1000), 10)
	frac := micros % 1000
	l.buf = append(l.buf, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
}

// AddrPort adds an address as "ip:port" ("[ip]:port" for IPv6); an invalid
// one is left out.
func (l *Line) AddrPort(key string, ap netip.AddrPort) {
	if !ap.IsValid() {
		return
	}
	l.key(key)
	l.buf = append(l.buf, '"')
	l.buf = ap.AppendTo(l.buf)
	l.buf = append(l.buf, '"')
}

// reset starts a line with its time, the one member every line has.
func (l *Line) reset(t time.Time) {
	l.buf = append(l.buf[:0], `{"time":"`...)
	l.buf = appendTime(l.buf, t)
	l.buf = append(l.buf, '"')
}

// appendTime appends t in UTC as RFC 3339 with milliseconds
// ("2006-01-02T15:04:05.000Z"). It gives what t.UTC().AppendFormat does with
// that layout, for years 0 to 9999, at a fraction of the cost: no layout to
// parse on every line.
func appendTime(dst []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	hour, minute, second := t.Clock()
	dst = appendDigits(dst, year, 4)
	dst = append(dst, '-')
	dst = appendDigits(dst, int(month), 2)
	dst = append(dst, '-')
	dst = appendDigits(dst, day, 2)
	dst = append(dst, 'T')
	dst = appendDigits(dst, hour, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, minute, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, second, 2)
	dst = append(dst, '.')
	dst = appendDigits(dst, t.Nanosecond()/int(time.Millisecond), 3)
	return append(dst, 'Z')
}

// appendDigits appends the last width decimal digits of a non-negative n,
// zero-padded.
func appendDigits(dst []byte, n, width int) []byte {
	var digits [4]byte
	for i := width - 1; i >= 0; i-- {
		digits[i] = byte('0' + n%10)
		n /= 10
	}
	return append(dst, digits[:width]...)
}

const hexDigits = "0123456789abcdef"

// appendQuoted appends s as a JSON string. Control characters, quotes and
// backslashes are escaped, and invalid UTF-8 becomes U+FFFD, so that a line
// stays valid JSON whatever a client put in its path or headers.
func appendQuoted[T string | []byte](dst []byte, s T) []byte {
	dst = append(dst, '"')
	dst = appendEscaped(dst, s)
	return append(dst, '"')
}

// appendEscaped is appendQuoted without the quotes.
func appendEscaped[T string | []byte](dst []byte, s T) []byte {
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
