package main

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

func TestLoadFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		want    loadFlags
		wantErr string
	}{
		{
			name: "defaults",
			want: loadFlags{mode: modeProxy, timeout: 5 * time.Minute,
				proxy: proxySettings{duration: 5 * time.Second, warmup: time.Second, rounds: 3, connections: 32, routes: 1000},
				scale: scaleSettings{routes: 10000}, apply: applySettings{routes: 1000, changes: 100}},
		},
		{
			name: "a short run",
			args: []string{"-mode", "all", "-duration", "2s", "-warmup", "0s", "-rounds", "1", "-connections", "8", "-routes", "50",
				"-scale-routes", "100", "-apply-routes", "10", "-apply-changes", "5", "-timeout", "1m"},
			want: loadFlags{mode: modeAll, timeout: time.Minute,
				proxy: proxySettings{duration: 2 * time.Second, warmup: 0, rounds: 1, connections: 8, routes: 50},
				scale: scaleSettings{routes: 100}, apply: applySettings{routes: 10, changes: 5}},
		},
		{name: "unknown mode", args: []string{"-mode", "fast"}, wantErr: "-mode"},
		{name: "no timeout", args: []string{"-timeout", "0s"}, wantErr: "-timeout"},
		{name: "a fraction of a second", args: []string{"-duration", "1500ms"}, wantErr: "-duration"},
		{name: "a fractional warm-up", args: []string{"-warmup", "500ms"}, wantErr: "-warmup"},
		{name: "no rounds", args: []string{"-rounds", "0"}, wantErr: "-rounds"},
		{name: "no connections", args: []string{"-connections", "0"}, wantErr: "-connections"},
		{name: "one route is not many", args: []string{"-routes", "1"}, wantErr: "-routes"},
		{name: "no scale routes", args: []string{"-scale-routes", "0"}, wantErr: "-scale-routes"},
		{name: "no changes", args: []string{"-apply-changes", "0"}, wantErr: "-apply-changes"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			fs := flag.NewFlagSet("load", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			var got loadFlags
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
}

// TestDefaultProxyRunFitsInFiveMinutes checks the promise of the flag help: the
// default proxy run sends load for well under five minutes, leaving room for the
// build and start-up, with every scenario of the issue measured.
func TestDefaultProxyRunFitsInFiveMinutes(t *testing.T) {
	t.Parallel()
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	var settings loadFlags
	settings.register(fs)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	// Every scenario of the issue measurable: direct, then Turnpike for each and
	// nginx for those it can serve.
	scenarios, skipped := planScenarios(rootWithCRDs(t, "authpolicies", "ratelimitpolicies"), settings.proxy.routes, testCredentials)
	if len(skipped) > 0 || len(scenarios) != len(issueScenarios) {
		t.Fatalf("planned %d scenarios and skipped %v, want all %d of the issue", len(scenarios), skipped, len(issueScenarios))
	}
	series := 1
	for _, s := range scenarios {
		series++
		if nginxUnsupported(s.set) == "" {
			series++
		}
	}
	load := time.Duration(settings.proxy.rounds*series) * (settings.proxy.warmup + settings.proxy.duration)
	if load > 4*time.Minute {
		t.Errorf("the default proxy run sends load for %v, leaving too little of five minutes for start-up", load)
	}
}

func TestRunLoadRejectsBadFlagsBeforeStartingAnything(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{args: []string{"-rounds", "0"}, want: "-rounds"},
		{args: []string{"extra"}, want: "unexpected arguments"},
	}
	for _, test := range tests {
		var stderr strings.Builder
		if code := runLoad(test.args, io.Discard, &stderr); code != 2 {
			t.Errorf("runLoad(%q) = %d, want 2", test.args, code)
		}
		if !strings.Contains(stderr.String(), test.want) {
			t.Errorf("runLoad(%q) stderr %q does not say %q", test.args, stderr.String(), test.want)
		}
	}
}
