package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

// userHZ is the unit of the CPU times in /proc/PID/stat. The kernel exports them in
// USER_HZ, which is 100 on every Linux architecture Go supports (sysconf(_SC_CLK_TCK)
// reports the same constant; reading it would need cgo).
const userHZ = 100

// parseProcStatCPU returns user plus system CPU time from the contents of
// /proc/PID/stat. The command name (field 2) is in parentheses and may itself hold
// spaces and parentheses, so the fields are counted from the last ')'.
func parseProcStatCPU(stat []byte) (time.Duration, error) {
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

// processCPU reads the CPU time process pid has used so far (all its threads).
func processCPU(pid int) (time.Duration, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("reading the CPU time of process %d: %w", pid, err)
	}
	return parseProcStatCPU(stat)
}
