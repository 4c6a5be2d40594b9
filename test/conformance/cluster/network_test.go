package main

import (
	"strings"
	"testing"
)

func TestCheckFreshNamespace(t *testing.T) {
	t.Parallel()
	const (
		host  = "net:[4026531840]"
		fresh = "net:[4026532901]"
		lo    = "1: lo: <LOOPBACK> mtu 65536 qdisc noop state DOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00"
		tunl  = "2: tunl0@NONE: <NOARP> mtu 1480 qdisc noop state DOWN mode DEFAULT group default qlen 1000\\    link/ipip 0.0.0.0 brd 0.0.0.0"
		eth0  = "2: eth0@if7: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default"
	)
	tests := []struct {
		name, self, outside, links string
		wantErr                    string
	}{
		{name: "a fresh namespace", self: fresh, links: lo},
		{name: "fallback tunnels are down", self: fresh, links: lo + "\n" + tunl},
		{name: "the host's namespace", self: host, links: lo, wantErr: "host's network namespace"},
		{name: "a namespace with a link up", self: fresh, links: lo + "\n" + eth0, wantErr: "link eth0 is up"},
		{name: "no outside namespace to compare with", self: fresh, outside: "-", links: lo, wantErr: "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			outside := host
			if tt.outside == "-" {
				outside = ""
			}
			err := checkFreshNamespace(tt.self, outside, tt.links)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want one saying %q", err, tt.wantErr)
			}
		})
	}
}
