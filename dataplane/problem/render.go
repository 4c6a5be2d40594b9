package problem

import (
	"strconv"

	"github.com/turnpike-gateway/turnpike/dataplane/jsontext"
)

// AppendBody appends the problem's document with another status and detail:
// for answers whose detail depends on the request ("The token expired at
// 2025-01-02T03:04:05Z.") or whose status a policy overrides. The document has
// the same members, in the same order and with the same escaping, as Body (which
// it renders too); the
// static Body stays the zero-allocation choice when nothing varies. detail must
// be written for the client: it is sent as it is.
func (p *Problem) AppendBody(dst []byte, status int, detail string) []byte {
	dst = append(dst, `{"type":`...)
	dst = jsontext.AppendQuoted(dst, p.Type)
	dst = append(dst, `,"title":`...)
	dst = jsontext.AppendQuoted(dst, p.Title)
	dst = append(dst, `,"status":`...)
	dst = strconv.AppendInt(dst, int64(status), 10)
	dst = append(dst, `,"detail":`...)
	dst = jsontext.AppendQuoted(dst, detail)
	return append(dst, '}')
}
