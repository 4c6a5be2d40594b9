package main

import (
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"
)

// The Corefile of the conformance suite's base manifests.
const suiteCorefile = `.:53 {
    forward . 8.8.8.8 9.9.9.9
    log
    errors
}
foo.bar.com:53 {
  whoami
}
`

func TestParseCorefile(t *testing.T) {
	t.Parallel()
	got, err := parseCorefile(suiteCorefile)
	if err != nil {
		t.Fatal(err)
	}
	want := []serverBlock{{zone: ".", port: "53"}, {zone: "foo.bar.com.", port: "53", whoami: true}}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(serverBlock{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, bad := range []string{"", "foo {\n whoami\n", "whoami\n", "bad..zone {\n}\n"} {
		if _, err := parseCorefile(bad); err == nil {
			t.Errorf("parseCorefile(%q) accepted it", bad)
		}
	}
}

// TestServe queries a real UDP server on loopback: whoami answers with the
// client's address and port, the forwarding zone with SERVFAIL.
func TestServe(t *testing.T) {
	t.Parallel()
	mux := dns.NewServeMux()
	mux.HandleFunc("foo.bar.com.", whoami)
	mux.HandleFunc(".", servfail)
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	server := &dns.Server{PacketConn: conn, Handler: mux, NotifyStartedFunc: func() { close(started) }}
	go func() { _ = server.ActivateAndServe() }()
	defer func() { _ = server.Shutdown() }()
	<-started

	client := &dns.Client{Net: "udp"}
	query := new(dns.Msg)
	query.SetQuestion("foo.bar.com.", dns.TypeA)
	reply, _, err := client.Exchange(query, conn.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	if reply.Rcode != dns.RcodeSuccess || len(reply.Extra) != 2 {
		t.Fatalf("whoami reply %v", reply)
	}
	if a, ok := reply.Extra[0].(*dns.A); !ok || !a.A.Equal(net.IPv4(127, 0, 0, 1)) {
		t.Errorf("first extra record %v, want the client's 127.0.0.1", reply.Extra[0])
	}
	if srv, ok := reply.Extra[1].(*dns.SRV); !ok || srv.Port == 0 || srv.Hdr.Name != "_udp.foo.bar.com." {
		t.Errorf("second extra record %v, want the client's port", reply.Extra[1])
	}
	query.SetQuestion("example.com.", dns.TypeA)
	if reply, _, err = client.Exchange(query, conn.LocalAddr().String()); err != nil || reply.Rcode != dns.RcodeServerFailure {
		t.Errorf("forwarded zone: %v %v, want SERVFAIL", reply, err)
	}
}
