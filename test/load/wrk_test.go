package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// wrkClean and wrkFailing are real outputs of wrk 4.1.0 (Debian bookworm).
const wrkClean = `Running 2s test @ http://127.0.0.1:18999/
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   160.54us   67.84us   2.04ms   94.64%
    Req/Sec    39.91k     1.35k   40.74k    95.00%
  Latency Distribution
     50%  152.00us
     75%  165.00us
     90%  185.00us
     99%  309.00us
  79336 requests in 2.00s, 11.35MB read
Requests/sec:  39654.95
Transfer/sec:      5.67MB
`

const wrkFailing = `Running 1s test @ http://127.0.0.1:18999/x
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   292.97us  685.32us   8.24ms   95.34%
    Req/Sec    37.75k     4.95k   40.15k    90.91%
  Latency Distribution
     50%  157.00us
     75%  173.00us
     90%  221.00us
     99%    3.72ms
  41290 requests in 1.10s, 12.13MB read
  Socket errors: connect 0, read 3, write 0, timeout 2
  Non-2xx or 3xx responses: 41290
Requests/sec:  37539.20
Transfer/sec:     11.03MB
`

func TestParseWrkOutput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		output  string
		want    wrkResult
		wantErr string
	}{
		{
			name:   "a clean run",
			output: wrkClean,
			want: wrkResult{requests: 79336, elapsed: 2 * time.Second, requestsPerSecond: 39654.95,
				p50: 152 * time.Microsecond, p75: 165 * time.Microsecond, p90: 185 * time.Microsecond, p99: 309 * time.Microsecond},
		},
		{
			name:   "failures and a percentile in milliseconds",
			output: wrkFailing,
			want: wrkResult{requests: 41290, elapsed: 1100 * time.Millisecond, requestsPerSecond: 37539.20,
				p50: 157 * time.Microsecond, p75: 173 * time.Microsecond, p90: 221 * time.Microsecond, p99: 3720 * time.Microsecond,
				non2xx: 41290, socketErrors: 5},
		},
		{name: "without --latency", output: strings.Replace(wrkClean, "     99%  309.00us\n", "", 1), wantErr: `no "99%" figure`},
		{name: "no summary", output: "unable to connect to 127.0.0.1:1 Connection refused\n", wantErr: "no"},
		{name: "an unknown unit", output: strings.Replace(wrkClean, "152.00us", "152.00ns", 1), wantErr: "not a non-negative number of us, ms"},
		{name: "a broken count", output: strings.Replace(wrkClean, "79336 requests", "7x336 requests", 1), wantErr: "7x336"},
		{name: "broken socket errors", output: strings.Replace(wrkFailing, "read 3,", "read three,", 1), wantErr: "three"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseWrkOutput(test.output)
			if test.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), test.wantErr) {
					t.Fatalf("parseWrkOutput error = %v, want one containing %q", err, test.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseWrkOutput: %v", err)
			}
			if diff := cmp.Diff(test.want, got, cmp.AllowUnexported(wrkResult{})); diff != "" {
				t.Errorf("parseWrkOutput (-want +got):\n%s", diff)
			}
			if got.failed() != (test.want.non2xx > 0 || test.want.socketErrors > 0) {
				t.Errorf("failed() = %v for %d non-2xx and %d socket errors", got.failed(), got.non2xx, got.socketErrors)
			}
		})
	}
}

func TestParseWrkDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{in: "152.00us", want: 152 * time.Microsecond},
		{in: "0.50us", want: 500 * time.Nanosecond},
		{in: "3.72ms", want: 3720 * time.Microsecond},
		{in: "5.00s", want: 5 * time.Second},
		{in: "1.50m", want: 90 * time.Second},
		{in: "2.00h", want: 2 * time.Hour},
		{in: "12", wantErr: true},
		{in: "-1.00ms", wantErr: true},
		{in: "fast", wantErr: true},
		{in: "us", wantErr: true},
	}
	for _, test := range tests {
		got, err := parseWrkDuration(test.in)
		if (err != nil) != test.wantErr || got != test.want {
			t.Errorf("parseWrkDuration(%q) = %v, %v; want %v, error %v", test.in, got, err, test.want, test.wantErr)
		}
	}
}

func TestWrkRunArgs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		run  wrkRun
		want []string
	}{
		{
			name: "pinned, with a Host header",
			run:  wrkRun{cpu: "1", connections: 32, duration: 5 * time.Second, timeout: 5 * time.Second, host: "app-9.example.com", url: "http://127.0.0.1:1/api/9/items"},
			want: []string{"taskset", "--cpu-list", "1", "wrk", "--threads", "1", "--connections", "32", "--duration", "5s",
				"--timeout", "5s", "--latency", "--header", "Host: app-9.example.com", "http://127.0.0.1:1/api/9/items"},
		},
		{
			name: "with a credential",
			run: wrkRun{connections: 4, duration: time.Second, timeout: 2 * time.Second, host: "app-0.example.com",
				headers: []header{apiKeyHeader("k-1")}, url: "http://127.0.0.1:1/"},
			want: []string{"wrk", "--threads", "1", "--connections", "4", "--duration", "1s", "--timeout", "2s", "--latency",
				"--header", "Host: app-0.example.com", "--header", "Authorization: APIKEY k-1", "http://127.0.0.1:1/"},
		},
		{
			name: "unpinned, the URL's host",
			run:  wrkRun{connections: 4, duration: time.Second, timeout: 2 * time.Second, url: "http://127.0.0.1:1/"},
			want: []string{"wrk", "--threads", "1", "--connections", "4", "--duration", "1s", "--timeout", "2s", "--latency", "http://127.0.0.1:1/"},
		},
	}
	for _, test := range tests {
		if diff := cmp.Diff(test.want, test.run.args()); diff != "" {
			t.Errorf("%s: args (-want +got):\n%s", test.name, diff)
		}
	}
}

func TestWrkRunRedactsCredentials(t *testing.T) {
	t.Parallel()
	run := wrkRun{connections: 1, duration: time.Second, timeout: time.Second, host: "app-0.example.com",
		headers: []header{bearerHeader("secret.token.value")}, url: "http://127.0.0.1:1/"}
	got := strings.Join(run.redacted(run.args()), " ")
	if strings.Contains(got, "secret.token.value") || !strings.Contains(got, "Authorization: (redacted)") || !strings.Contains(got, "Host: app-0.example.com") {
		t.Errorf("redacted command line %q, want the credential replaced and the rest kept", got)
	}
	if !slices.Contains(run.args(), "Authorization: Bearer secret.token.value") {
		t.Error("redacted changed the command line itself")
	}
}
