// Command dnsstandin stands in for CoreDNS, the one image of the conformance
// suite's base manifests that is not echo-basic: the suite deploys it for the
// UDPRoute tests (GATEWAY-UDP profile), and every Pod of the base manifests must
// be Ready before any test runs. It is test infrastructure, outside Turnpike's
// pipeline. It reads the Corefile CoreDNS would (-conf) and serves what it can in
// a network with no route out: zones with the `whoami` plugin answer as CoreDNS's
// whoami does (the client's address and port); every other zone (those that
// forward upstream) answers SERVFAIL.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/miekg/dns"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "dnsstandin:", err)
		os.Exit(1)
	}
}

func run() error {
	conf := flag.String("conf", "Corefile", "the Corefile to serve")
	flag.Parse()
	raw, err := os.ReadFile(*conf)
	if err != nil {
		return err
	}
	blocks, err := parseCorefile(string(raw))
	if err != nil {
		return fmt.Errorf("%s: %w", *conf, err)
	}
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	byPort := map[string]*dns.ServeMux{}
	for _, block := range blocks {
		mux := byPort[block.port]
		if mux == nil {
			mux = dns.NewServeMux()
			byPort[block.port] = mux
		}
		handler := dns.HandlerFunc(servfail)
		if block.whoami {
			handler = whoami
		}
		mux.Handle(block.zone, logged(log, block.zone, handler))
	}
	errs := make(chan error, 2*len(byPort))
	var servers []*dns.Server
	for port, mux := range byPort {
		for _, network := range []string{"udp", "tcp"} {
			server := &dns.Server{Addr: ":" + port, Net: network, Handler: mux}
			servers = append(servers, server)
			go func() { errs <- server.ListenAndServe() }()
		}
		log.Info("Serving", "port", port)
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-stop:
	case err = <-errs:
	}
	for _, server := range servers {
		_ = server.Shutdown()
	}
	return err
}

func logged(log *slog.Logger, zone string, next dns.Handler) dns.Handler {
	return dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		if len(r.Question) > 0 {
			log.Info("Query", "zone", zone, "name", r.Question[0].Name, "client", w.RemoteAddr().String())
		}
		next.ServeDNS(w, r)
	})
}

// whoami answers like CoreDNS's whoami plugin: the client's address as an A or
// AAAA record and its port as an SRV record, in the additional section.
func whoami(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	if len(r.Question) == 0 {
		_ = w.WriteMsg(m)
		return
	}
	name := r.Question[0].Name
	var ip net.IP
	var port int
	var proto string
	switch addr := w.RemoteAddr().(type) {
	case *net.UDPAddr:
		ip, port, proto = addr.IP, addr.Port, "udp"
	case *net.TCPAddr:
		ip, port, proto = addr.IP, addr.Port, "tcp"
	}
	header := dns.RR_Header{Name: name, Class: dns.ClassINET}
	if v4 := ip.To4(); v4 != nil {
		header.Rrtype = dns.TypeA
		m.Extra = append(m.Extra, &dns.A{Hdr: header, A: v4})
	} else {
		header.Rrtype = dns.TypeAAAA
		m.Extra = append(m.Extra, &dns.AAAA{Hdr: header, AAAA: ip})
	}
	m.Extra = append(m.Extra, &dns.SRV{
		Hdr:  dns.RR_Header{Name: "_" + proto + "." + name, Rrtype: dns.TypeSRV, Class: dns.ClassINET},
		Port: uint16(port), Target: ".",
	})
	_ = w.WriteMsg(m)
}

// servfail answers for zones that CoreDNS would forward upstream: there is no
// upstream in the harness's network.
func servfail(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetRcode(r, dns.RcodeServerFailure)
	_ = w.WriteMsg(m)
}
