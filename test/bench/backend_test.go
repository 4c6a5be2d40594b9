package main

import (
	"io"
	"testing"
)

// The backend's serving is tested with harness.ServeFixedBody; this is its command line.
func TestRunBackendFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want int
	}{
		{name: "no --listen", args: nil, want: 2},
		{name: "extra argument", args: []string{"--listen", "127.0.0.1:1", "extra"}, want: 2},
		{name: "unknown flag", args: []string{"--port", "1"}, want: 2},
		{name: "non-loopback address", args: []string{"--listen", "0.0.0.0:0"}, want: 1},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			if got := runBackend(test.args, io.Discard); got != test.want {
				t.Errorf("runBackend(%q) = %d, want %d", test.args, got, test.want)
			}
		})
	}
}
