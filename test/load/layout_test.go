package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseCPUList(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    []int
		wantErr bool
	}{
		{in: "0", want: []int{0}},
		{in: "0-1", want: []int{0, 1}},
		{in: "0,2-3,7", want: []int{0, 2, 3, 7}},
		{in: "4-5,0-1", want: []int{0, 1, 4, 5}},
		{in: "1,1-2", want: []int{1, 2}},
		{in: "", wantErr: true},
		{in: "a", wantErr: true},
		{in: "3-1", wantErr: true},
		{in: "0-", wantErr: true},
		{in: "-1", wantErr: true},
	}
	for _, test := range tests {
		got, err := parseCPUList(test.in)
		if (err != nil) != test.wantErr {
			t.Errorf("parseCPUList(%q) error = %v, want an error: %v", test.in, err, test.wantErr)
			continue
		}
		if diff := cmp.Diff(test.want, got); diff != "" {
			t.Errorf("parseCPUList(%q) (-want +got):\n%s", test.in, diff)
		}
	}
}

func TestAllowedCPUsOfThisProcess(t *testing.T) {
	t.Parallel()
	cpus, err := allowedCPUs()
	if err != nil {
		t.Fatalf("allowedCPUs: %v", err)
	}
	if len(cpus) == 0 {
		t.Error("allowedCPUs is empty for a running process")
	}
}

func TestPlanLayout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		allowed []int
		want    cpuLayout
	}{
		{name: "this project's two cores", allowed: []int{0, 1}, want: cpuLayout{proxy: "0", backend: "1", generator: "1"}},
		{name: "a cpuset of two", allowed: []int{2, 5}, want: cpuLayout{proxy: "2", backend: "5", generator: "5"}},
		{name: "four cores", allowed: []int{0, 1, 2, 3}, want: cpuLayout{proxy: "0", backend: "1", generator: "2"}},
		{name: "one core pins nothing", allowed: []int{3}, want: cpuLayout{}},
	}
	for _, test := range tests {
		got := planLayout(test.allowed)
		if got.note == "" {
			t.Errorf("%s: the layout has no note for the report", test.name)
		}
		got.note = ""
		if diff := cmp.Diff(test.want, got, cmp.AllowUnexported(cpuLayout{})); diff != "" {
			t.Errorf("%s: planLayout(%v) (-want +got):\n%s", test.name, test.allowed, diff)
		}
	}
}

func TestPinned(t *testing.T) {
	t.Parallel()
	if diff := cmp.Diff([]string{"taskset", "--cpu-list", "0", "nginx", "-c", "x"}, pinned("0", "nginx", "-c", "x").Args); diff != "" {
		t.Errorf("pinned (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"nginx", "-c", "x"}, pinned("", "nginx", "-c", "x").Args); diff != "" {
		t.Errorf("unpinned (-want +got):\n%s", diff)
	}
}
