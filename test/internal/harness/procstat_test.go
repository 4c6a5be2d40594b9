package harness

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
			got, err := ParseProcStatCPU([]byte(test.stat))
			if test.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), test.wantErr) {
					t.Fatalf("ParseProcStatCPU error = %v, want one containing %q", err, test.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseProcStatCPU: %v", err)
			}
			if got != test.want {
				t.Errorf("ParseProcStatCPU = %v, want %v", got, test.want)
			}
		})
	}
}

func TestProcessCPUReadsThisProcess(t *testing.T) {
	t.Parallel()
	before, err := ProcessCPU(os.Getpid())
	if err != nil {
		t.Fatalf("ProcessCPU: %v", err)
	}
	// Burn CPU until the kernel's 10ms ticks move, bounded so that it cannot hang.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		after, err := ProcessCPU(os.Getpid())
		if err != nil {
			t.Fatalf("ProcessCPU: %v", err)
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
	if _, err := ProcessCPU(1 << 30); err == nil {
		t.Error("ProcessCPU of a process that cannot exist succeeded")
	}
}

func TestParseProcStatusMemory(t *testing.T) {
	t.Parallel()
	const real = "Name:\tturnpike\nUmask:\t0022\nState:\tS (sleeping)\nVmPeak:\t 1289324 kB\n" +
		"VmSize:\t 1289324 kB\nVmHWM:\t  181240 kB\nVmRSS:\t  150012 kB\nThreads:\t9\n"
	tests := []struct {
		name    string
		status  string
		want    Memory
		wantErr string
	}{
		{name: "a real status file", status: real, want: Memory{Peak: 181240 * 1024, Resident: 150012 * 1024}},
		{name: "no trailing newline", status: "VmRSS:\t1 kB\nVmHWM:\t2 kB", want: Memory{Peak: 2048, Resident: 1024}},
		{name: "kernel thread without memory lines", status: "Name:\tkthreadd\nState:\tS\n", wantErr: "no VmHWM or VmRSS"},
		{name: "only one of the two", status: "VmHWM:\t2 kB\n", wantErr: "no VmHWM or VmRSS"},
		{name: "another unit", status: "VmHWM:\t2 MB\nVmRSS:\t1 kB\n", wantErr: "not a number of kB"},
		{name: "not a number", status: "VmHWM:\tlots kB\nVmRSS:\t1 kB\n", wantErr: "VmHWM"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseProcStatusMemory([]byte(test.status))
			if test.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), test.wantErr) {
					t.Fatalf("ParseProcStatusMemory error = %v, want one containing %q", err, test.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseProcStatusMemory: %v", err)
			}
			if got != test.want {
				t.Errorf("ParseProcStatusMemory = %+v, want %+v", got, test.want)
			}
		})
	}
}

func TestProcessMemoryReadsThisProcess(t *testing.T) {
	t.Parallel()
	memory, err := ProcessMemory(os.Getpid())
	if err != nil {
		t.Fatalf("ProcessMemory: %v", err)
	}
	if memory.Resident == 0 || memory.Peak < memory.Resident {
		t.Errorf("ProcessMemory = %+v, want a resident size no larger than a non-zero peak", memory)
	}
}
