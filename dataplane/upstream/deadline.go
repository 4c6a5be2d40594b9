package upstream

import (
	"net"
	"time"
)

// deadlineSlackDivisor sets how late a coalesced deadline may fire: by at most
// 1/64 of the timeout (a 60 s read timeout fires between 60 and ~61 s).
const deadlineSlackDivisor = 64

// coalescedDeadlineConn is a pooled backend connection whose read and write
// deadlines are re-armed only when they must be. fasthttp's HostClient sets both
// deadlines to now+timeout before every request; each call re-arms a runtime
// timer, which was about 1% of the proxy's CPU per request under load (perf, two
// of the five deadline updates of a proxied request). Arming now+timeout+slack
// instead lets the requests of the next slack reuse the armed timer: a deadline
// is never earlier than the one asked for, and never later by more than slack.
//
// A connection is used by one request at a time, so the armed values need no
// lock; Close, the only call from other goroutines, passes straight through.
type coalescedDeadlineConn struct {
	net.Conn
	read, write coalescedDeadline
}

// coalescedDeadline is the deadline currently armed on one direction.
type coalescedDeadline struct {
	armed time.Time
	slack time.Duration
}

// newCoalescedDeadlineConn wraps conn for a pool whose timeouts are
// readTimeout and writeTimeout.
func newCoalescedDeadlineConn(conn net.Conn, readTimeout, writeTimeout time.Duration) *coalescedDeadlineConn {
	return &coalescedDeadlineConn{
		Conn:  conn,
		read:  coalescedDeadline{slack: readTimeout / deadlineSlackDivisor},
		write: coalescedDeadline{slack: writeTimeout / deadlineSlackDivisor},
	}
}

// keeps reports whether the armed deadline already serves a request for
// deadline t: not earlier than t, and not later than t+slack.
func (d *coalescedDeadline) keeps(t time.Time) bool {
	if t.IsZero() || d.armed.IsZero() {
		return t.IsZero() && d.armed.IsZero()
	}
	return !d.armed.Before(t) && d.armed.Sub(t) <= d.slack
}

// next is the deadline to arm for a request for t.
func (d *coalescedDeadline) next(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.Add(d.slack)
}

func (c *coalescedDeadlineConn) SetReadDeadline(t time.Time) error {
	if c.read.keeps(t) {
		return nil
	}
	at := c.read.next(t)
	if err := c.Conn.SetReadDeadline(at); err != nil {
		return err
	}
	c.read.armed = at
	return nil
}

func (c *coalescedDeadlineConn) SetWriteDeadline(t time.Time) error {
	if c.write.keeps(t) {
		return nil
	}
	at := c.write.next(t)
	if err := c.Conn.SetWriteDeadline(at); err != nil {
		return err
	}
	c.write.armed = at
	return nil
}

// SetDeadline sets both deadlines exactly, as asked.
func (c *coalescedDeadlineConn) SetDeadline(t time.Time) error {
	if err := c.Conn.SetDeadline(t); err != nil {
		return err
	}
	c.read.armed, c.write.armed = t, t
	return nil
}
