package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/miekg/dns"
)

var errSyntax = errors.New("not a Corefile this stand-in understands")

// serverBlock is one `ZONE[:PORT] { ... }` block of a Corefile, reduced to what
// the stand-in serves.
type serverBlock struct {
	zone   string // fully qualified
	port   string
	whoami bool
}

// parseCorefile reads server blocks and notes which use the whoami plugin. Other
// directives are accepted and ignored (logging, errors) or answered with
// SERVFAIL (forward).
func parseCorefile(text string) ([]serverBlock, error) {
	var blocks []serverBlock
	var current *serverBlock
	for n, line := range strings.Split(text, "\n") {
		if hash := strings.IndexByte(line, '#'); hash >= 0 {
			line = line[:hash]
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		switch {
		case current == nil && len(fields) == 2 && fields[1] == "{":
			zone, port := fields[0], "53"
			if i := strings.LastIndexByte(zone, ':'); i >= 0 {
				zone, port = zone[:i], zone[i+1:]
			}
			zone = strings.TrimPrefix(zone, "dns://")
			if _, ok := dns.IsDomainName(zone); !ok {
				return nil, fmt.Errorf("line %d: %q is not a zone: %w", n+1, fields[0], errSyntax)
			}
			current = &serverBlock{zone: dns.Fqdn(zone), port: port}
		case current != nil && len(fields) == 1 && fields[0] == "}":
			blocks = append(blocks, *current)
			current = nil
		case current != nil:
			if fields[0] == "whoami" {
				current.whoami = true
			}
		default:
			return nil, fmt.Errorf("line %d: %q: %w", n+1, strings.TrimSpace(line), errSyntax)
		}
	}
	if current != nil {
		return nil, fmt.Errorf("the block of zone %s is not closed: %w", current.zone, errSyntax)
	}
	if len(blocks) == 0 {
		return nil, fmt.Errorf("no server block: %w", errSyntax)
	}
	return blocks, nil
}
