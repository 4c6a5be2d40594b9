package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseProcStatCPU(t *testing.T) {
	t.Parallel()
	// Fields 3 to 17 of a real line; utime (field 14) is 250 ticks, stime (15) 130.
	const tail = " S 1 20000 20000 0 -1 4194560 7000 0 0 0 250 130 0 0 20 0 9 0 123456 1000000 2000"
	tests := []struct {
		name    string
		stat    string
		want    time.Duration
		wantErr string
	}{
		{name: "plain command name", stat: "4242 (turnpike)" + tail, want: 3800 * time.Millisecond},
		{name: "spaces and parentheses in the name", stat: "4242 (my (odd) prog) x)" + tail, want: 3800 * time.Millisecond},
		{name: "trailing newline", stat: "4242 (turnpike)" + tail + "\n", want: 3800 * time.Millisecond},
		{name: "no command name", stat: "4242 turnpike" + tail, wantErr: "no command name"},
		{name: "truncated", stat: "4242 (turnpike) S 1 20000 20000 0 -1 4194560 7000 0 0 0 250", wantErr: "fields after the command name"},
		{name: "not a number", stat: "4242 (turnpike) S 1 20000 20000 0 -1 4194560 7000 0 0 0 250 lots 0 0", wantErr: "field 15"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseProcStatCPU([]byte(test.stat))
			if test.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), test.wantErr) {
					t.Fatalf("parseProcStatCPU error = %v, want one containing %q", err, test.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseProcStatCPU: %v", err)
			}
			if got != test.want {
				t.Errorf("parseProcStatCPU = %v, want %v", got, test.want)
			}
		})
	}
}

func TestProcessCPUReadsThisProcess(t *testing.T) {
	t.Parallel()
	before, err := processCPU(os.Getpid())
	if err != nil {
		t.Fatalf("processCPU: %v", err)
	}
	// Burn CPU until the kernel's 10ms ticks move, bounded so that it cannot hang.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		after, err := processCPU(os.Getpid())
		if err != nil {
			t.Fatalf("processCPU: %v", err)
		}
		if after > before {
			return
		}
	}
	t.Errorf("the CPU time of a busy process did not grow in 10s")
}

func TestProcessCPUOfAMissingProcess(t *testing.T) {
	t.Parallel()
	// PIDs never reach this value (pid_max is at most 2^22).
	if _, err := processCPU(1 << 30); err == nil {
		t.Error("processCPU of a process that cannot exist succeeded")
	}
}
