package main

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

func TestBenchFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		want    benchFlags
		wantErr string
	}{
		{
			name: "defaults keep the run well under two minutes",
			want: benchFlags{duration: 5 * time.Second, warmup: time.Second, rounds: 3, connections: 32},
		},
		{
			name: "the flags of the README run",
			args: []string{"-duration", "3s", "-rounds", "2", "-connections", "8", "-warmup", "0s"},
			want: benchFlags{duration: 3 * time.Second, warmup: 0, rounds: 2, connections: 8},
		},
		{name: "zero duration", args: []string{"-duration", "0s"}, wantErr: "-duration"},
		{name: "negative warm-up", args: []string{"-warmup", "-1s"}, wantErr: "-warmup"},
		{name: "no rounds", args: []string{"-rounds", "0"}, wantErr: "-rounds"},
		{name: "no connections", args: []string{"-connections", "0"}, wantErr: "-connections"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			fs := flag.NewFlagSet("bench", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			var got benchFlags
			got.register(fs)
			if err := fs.Parse(test.args); err != nil {
				t.Fatalf("parsing %q: %v", test.args, err)
			}
			err := got.validate()
			if test.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), test.wantErr) {
					t.Fatalf("validate() = %v, want an error about %s", err, test.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("validate(): %v", err)
			}
			if got != test.want {
				t.Errorf("flags = %+v, want %+v", got, test.want)
			}
		})
	}
	// The promise in the flag help: the default run's load fits in two minutes.
	defaults := tests[0].want
	if load := time.Duration(defaults.rounds*2) * (defaults.warmup + defaults.duration); load > 90*time.Second {
		t.Errorf("the default run sends load for %v, leaving too little of two minutes for start-up", load)
	}
}

func TestRunBenchRejectsBadFlagsBeforeStartingAnything(t *testing.T) {
	t.Parallel()
	var stderr strings.Builder
	if code := runBench([]string{"-rounds", "0"}, io.Discard, &stderr); code != 2 {
		t.Errorf("runBench with -rounds 0 = %d, want 2", code)
	}
	if !strings.Contains(stderr.String(), "-rounds") {
		t.Errorf("stderr %q does not explain the bad flag", stderr.String())
	}
}
