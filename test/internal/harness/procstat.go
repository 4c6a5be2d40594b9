package harness

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"time"
)

// userHZ is the unit of the CPU times in /proc/PID/stat. The kernel exports them in
// USER_HZ, which is 100 on every Linux architecture Go supports (sysconf(_SC_CLK_TCK)
// reports the same constant; reading it would need cgo).
const userHZ = 100

// ParseProcStatCPU returns user plus system CPU time from the contents of
// /proc/PID/stat. The command name (field 2) is in parentheses and may itself hold
// spaces and parentheses, so the fields are counted from the last ')'.
func ParseProcStatCPU(stat []byte) (time.Duration, error) {
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, fmt.Errorf("no command name in /proc stat line %q", stat)
	}
	// After the name come field 3 (state) onwards: utime is field 14, stime field 15.
	fields := bytes.Fields(stat[end+1:])
	const utimeIndex, stimeIndex = 14 - 3, 15 - 3
	if len(fields) <= stimeIndex {
		return 0, fmt.Errorf("/proc stat line has %d fields after the command name, want more than %d", len(fields), stimeIndex)
	}
	var ticks uint64
	for _, index := range []int{utimeIndex, stimeIndex} {
		value, err := strconv.ParseUint(string(fields[index]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parsing CPU time field %d of /proc stat: %w", index+3, err)
		}
		ticks += value
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// ProcessCPU reads the CPU time process pid has used so far (all its threads).
func ProcessCPU(pid int) (time.Duration, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("reading the CPU time of process %d: %w", pid, err)
	}
	return ParseProcStatCPU(stat)
}

// Memory is the resident memory of a process, in bytes.
type Memory struct {
	// Peak is VmHWM, the most resident memory the process has had since it started.
	Peak uint64
	// Resident is VmRSS, what it holds now.
	Resident uint64
}

// ParseProcStatusMemory reads VmHWM and VmRSS from the contents of
// /proc/PID/status, whose lines look like "VmRSS:\t  123456 kB".
func ParseProcStatusMemory(status []byte) (Memory, error) {
	var memory Memory
	found := map[string]bool{}
	for line := range bytes.Lines(status) {
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		var into *uint64
		switch string(name) {
		case "VmHWM":
			into = &memory.Peak
		case "VmRSS":
			into = &memory.Resident
		default:
			continue
		}
		fields := bytes.Fields(value)
		if len(fields) != 2 || string(fields[1]) != "kB" {
			return Memory{}, fmt.Errorf("/proc status line %q is not a number of kB", bytes.TrimSpace(line))
		}
		kilobytes, err := strconv.ParseUint(string(fields[0]), 10, 64)
		if err != nil {
			return Memory{}, fmt.Errorf("parsing /proc status %s: %w", name, err)
		}
		*into = kilobytes * 1024
		found[string(name)] = true
	}
	if !found["VmHWM"] || !found["VmRSS"] {
		return Memory{}, fmt.Errorf("/proc status has no VmHWM or VmRSS line (a kernel thread or a zombie?)")
	}
	return memory, nil
}

// ProcessMemory reads the peak and current resident memory of process pid.
func ProcessMemory(pid int) (Memory, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, fmt.Errorf("reading the memory of process %d: %w", pid, err)
	}
	return ParseProcStatusMemory(status)
}

// SampleCPU reads the CPU time of every pid, in order.
func SampleCPU(pids []int) ([]time.Duration, error) {
	samples := make([]time.Duration, 0, len(pids))
	for _, pid := range pids {
		cpu, err := ProcessCPU(pid)
		if err != nil {
			return nil, fmt.Errorf("sampling CPU time: %w", err)
		}
		samples = append(samples, cpu)
	}
	return samples, nil
}

// Sleep waits for d or until ctx is done, whichever comes first.
func Sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
