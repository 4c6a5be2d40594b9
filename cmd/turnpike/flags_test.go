package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/turnpike-gateway/turnpike/dataplane/ratelimit"
)

func TestRateLimitFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args     []string
		want     ratelimit.Options
		omit     bool
		errorHas string
	}{
		{
			args: nil,
			want: ratelimit.Options{MaxCountersPerLimit: ratelimit.DefaultMaxCountersPerLimit,
				Redis: ratelimit.RedisOptions{FailureMode: ratelimit.FailOpen, Timeout: ratelimit.DefaultRedisTimeout}},
		},
		{
			args: []string{"--rate-limit-redis-address", "redis.turnpike:6379", "--rate-limit-redis-failure-mode", "closed",
				"--rate-limit-redis-timeout", "250ms", "--rate-limit-max-counters", "1000", "--rate-limit-headers=false"},
			want: ratelimit.Options{MaxCountersPerLimit: 1000, Redis: ratelimit.RedisOptions{
				Address: "redis.turnpike:6379", FailureMode: ratelimit.FailClosed, Timeout: 250 * time.Millisecond}},
			omit: true,
		},
		{args: []string{"--rate-limit-redis-failure-mode", "ajar"}, errorHas: "--rate-limit-redis-failure-mode"},
		{args: []string{"--rate-limit-redis-address", "redis"}, errorHas: "--rate-limit-redis-address"},
		{args: []string{"--rate-limit-redis-timeout", "0s"}, errorHas: "--rate-limit-redis-timeout"},
		{args: []string{"--rate-limit-max-counters", "0"}, errorHas: "--rate-limit-max-counters"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			var c commonFlags
			c.register(fs, ":0")
			if err := fs.Parse(tt.args); err != nil {
				t.Fatalf("parse: %v", err)
			}
			err := c.validate()
			if tt.errorHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errorHas) {
					t.Fatalf("validate() = %v, want an error about %s", err, tt.errorHas)
				}
				return
			}
			if err != nil {
				t.Fatalf("validate: %v", err)
			}
			if diff := cmp.Diff(tt.want, c.dataplane.RateLimit); diff != "" {
				t.Errorf("rate-limit options (-want +got):\n%s", diff)
			}
			if c.dataplane.OmitRateLimitHeaders != tt.omit {
				t.Errorf("OmitRateLimitHeaders = %v, want %v", c.dataplane.OmitRateLimitHeaders, tt.omit)
			}
		})
	}
}

func TestAccessLogFlags(t *testing.T) {
	t.Parallel()
	file := t.TempDir() + "/access.log"
	tests := []struct {
		name     string
		args     []string
		writer   string // "none", "stdout", "file"
		errorHas string
	}{
		{name: "on by default, on stdout", writer: "stdout"},
		{name: "off", args: []string{"--access-log", "off"}, writer: "none"},
		{name: "sampled to nothing is off", args: []string{"--access-log-sample-rate", "0"}, writer: "none"},
		{name: "file", args: []string{"--access-log", file, "--access-log-sample-rate", "0.25"}, writer: "file"},
		{name: "empty", args: []string{"--access-log", ""}, errorHas: "--access-log must be"},
		{name: "rate above 1", args: []string{"--access-log-sample-rate", "1.5"}, errorHas: "--access-log-sample-rate"},
		{name: "rate NaN", args: []string{"--access-log-sample-rate", "NaN"}, errorHas: "--access-log-sample-rate"},
		{name: "unwritable", args: []string{"--access-log", t.TempDir() + "/missing-dir/access.log"}, errorHas: "--access-log:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			var c commonFlags
			c.register(fs, ":0")
			if err := fs.Parse(tt.args); err != nil {
				t.Fatalf("parse: %v", err)
			}
			err := c.validate()
			var closeLog func()
			if err == nil {
				closeLog, err = c.openAccessLog()
			}
			if tt.errorHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errorHas) {
					t.Fatalf("error %v, want one about %s", err, tt.errorHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer closeLog()
			w := c.dataplane.AccessLog.Writer
			switch got := fmt.Sprintf("%T", w); {
			case tt.writer == "none" && w != nil:
				t.Errorf("writer %s, want none", got)
			case tt.writer == "stdout" && w != os.Stdout:
				t.Errorf("writer %s, want os.Stdout", got)
			case tt.writer == "file" && got != "*os.File":
				t.Errorf("writer %s, want the file", got)
			}
		})
	}
}
