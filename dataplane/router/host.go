package router

import (
	"bytes"
	"strings"
)

// maxHostLen bounds the hosts that can match a hostname. A DNS name is at most 253
// characters (RFC 1035), 254 with a trailing dot; longer hosts match only the
// entries without a hostname. The bound lets the lower-cased copy live in a
// fixed-size buffer on the stack.
const maxHostLen = 255

// hostBuffer holds the lower-cased, port-stripped request host during one Match.
type hostBuffer [maxHostLen]byte

// normalizeHost strips the port and a trailing dot from host and lower-cases it
// into buf. ok is false when the host cannot be a DNS name at all (too long).
func normalizeHost(buf *hostBuffer, host []byte) (normalized []byte, ok bool) {
	host = stripPort(host)
	if n := len(host); n > 0 && host[n-1] == '.' {
		host = host[:n-1]
	}
	if len(host) > len(buf) {
		return nil, false
	}
	out := buf[:len(host)]
	for i, c := range host {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out, true
}

// stripPort removes ":port" from "host:port" and "[v6]:port". A bracketed IPv6
// literal keeps its brackets: it can only match entries without a hostname.
func stripPort(host []byte) []byte {
	if len(host) > 0 && host[0] == '[' {
		if end := bytes.IndexByte(host, ']'); end >= 0 {
			return host[:end+1]
		}
		return host
	}
	if colon := bytes.LastIndexByte(host, ':'); colon >= 0 {
		return host[:colon]
	}
	return host
}

// hostIndex finds the first of an ordered list of hostnames that matches a host:
// "" matches any host, "api.example.com" only itself, and "*.example.com" any host
// with at least one more label in front of ".example.com" (not "example.com").
//
// It answers with the position of that first entry, in time that depends on the
// host's length and not on the number of entries.
type hostIndex struct {
	// exact maps a hostname to its first position.
	exact map[string]int
	// wildcards maps the suffix of a wildcard, dot included (".example.com"), to
	// its first position.
	wildcards map[string]int
	// anyHost is the position of the first entry without a hostname, or -1.
	anyHost int
}

func newHostIndex(hostnames []string) hostIndex {
	idx := hostIndex{anyHost: -1}
	for pos, name := range hostnames {
		name = strings.ToLower(name)
		switch {
		case name == "":
			if idx.anyHost < 0 {
				idx.anyHost = pos
			}
		case strings.HasPrefix(name, "*."):
			if idx.wildcards == nil {
				idx.wildcards = map[string]int{}
			}
			suffix := name[1:]
			if _, seen := idx.wildcards[suffix]; !seen {
				idx.wildcards[suffix] = pos
			}
		default:
			if idx.exact == nil {
				idx.exact = map[string]int{}
			}
			if _, seen := idx.exact[name]; !seen {
				idx.exact[name] = pos
			}
		}
	}
	return idx
}

// lookup returns the position of the first entry that matches host, or -1. host
// must come from normalizeHost; ok is normalizeHost's second result.
func (idx *hostIndex) lookup(host []byte, ok bool) int {
	return idx.next(host, ok, -1)
}

// next returns the position of the first entry after position `after` that matches
// host, or -1. Walking next from -1 visits every matching entry in list order, which
// lets a request fall through from a more specific virtual host to a less specific
// one when none of the first one's routes match.
func (idx *hostIndex) next(host []byte, ok bool, after int) int {
	best := -1
	better := func(pos int) bool { return pos > after && (best < 0 || pos < best) }
	if better(idx.anyHost) {
		best = idx.anyHost
	}
	if !ok {
		return best
	}
	if pos, found := idx.exact[string(host)]; found && better(pos) {
		best = pos
	}
	if len(idx.wildcards) == 0 {
		return best
	}
	// Every dot after the first label starts a candidate suffix: for
	// "a.b.example.com" that is ".b.example.com", ".example.com" and ".com".
	for i := 1; i < len(host); i++ {
		if host[i] != '.' {
			continue
		}
		if pos, found := idx.wildcards[string(host[i:])]; found && better(pos) {
			best = pos
		}
	}
	return best
}
