package main

import (
	"strings"
	"testing"
)

func TestParseAddressPool(t *testing.T) {
	t.Parallel()
	tests := []struct {
		value   string
		publish []string
		want    string // the pool ("none" for no pool), or a part of the error
	}{
		{value: "", want: "none"},
		{value: "10.250.0.0/16", want: "10.250.0.0/16"},
		{value: "2001:db8::/64", want: "2001:db8::/64"},
		{value: "10.250.0.0", want: "must be a CIDR"},
		{value: "10.250.0.1/16", want: "did you mean 10.250.0.0/16"},
		{value: "10.250.0.0/16", publish: []string{"203.0.113.1"}, want: "cannot be combined"},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			t.Parallel()
			pool, err := parseAddressPool(tt.value, tt.publish)
			got := pool.String()
			if !pool.IsValid() {
				got = "none"
			}
			if err != nil {
				got = err.Error()
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("parseAddressPool(%q, %q) = %q, want %q", tt.value, tt.publish, got, tt.want)
			}
		})
	}
}
