package upstream

import (
	"net"
	"testing"
	"time"
)

// BenchmarkDeadlines is the deadline work HostClient does per request on one
// backend connection, on a bare TCP connection and on a coalescing one.
func BenchmarkDeadlines(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatalf("listen: %v", err)
	}
	b.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.Cleanup(func() { _ = c.Close() })
		}
	}()
	for _, bench := range []struct {
		name string
		wrap func(net.Conn) net.Conn
	}{
		{"bare", func(c net.Conn) net.Conn { return c }},
		{"coalesced", func(c net.Conn) net.Conn { return newCoalescedDeadlineConn(c, time.Minute, time.Minute) }},
	} {
		b.Run(bench.name, func(b *testing.B) {
			raw, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				b.Fatalf("dial: %v", err)
			}
			defer raw.Close()
			conn := bench.wrap(raw)
			b.ReportAllocs()
			for b.Loop() {
				if err := conn.SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
					b.Fatal(err)
				}
				if err := conn.SetReadDeadline(time.Now().Add(time.Minute)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
