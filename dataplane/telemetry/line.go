package telemetry

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/turnpike-gateway/turnpike/dataplane/jsontext"
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
	l.buf = jsontext.AppendQuoted(l.buf, value)
}

// Bytes adds a string member from bytes, such as a request header.
func (l *Line) Bytes(key string, value []byte) {
	l.key(key)
	l.buf = jsontext.AppendQuoted(l.buf, value)
}

// NamespacedName adds "namespace/name", or "name" when namespace is empty,
// without building the string first.
func (l *Line) NamespacedName(key, namespace, name string) {
	l.key(key)
	l.buf = append(l.buf, '"')
	if namespace != "" {
		l.buf = jsontext.AppendEscaped(l.buf, namespace)
		l.buf = append(l.buf, '/')
	}
	l.buf = jsontext.AppendEscaped(l.buf, name)
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
