package main

import (
	"net/netip"
	"os"
	"os/exec"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func conditionOf(status corev1.PodStatus, t corev1.PodConditionType) corev1.PodCondition {
	for _, c := range status.Conditions {
		if c.Type == t {
			return c
		}
	}
	return corev1.PodCondition{}
}

func TestPodStatus(t *testing.T) {
	t.Parallel()
	host := netip.MustParseAddr("10.243.0.1")
	earlier := metav1.NewTime(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	now := time.Date(2025, 1, 1, 0, 5, 0, 0, time.UTC)
	started := metav1.NewTime(now.Add(-time.Minute))
	running := func() *container {
		return &container{name: "echo", image: "echo:v1", instance: &instance{startedAt: started, cmd: nil}}
	}
	stored := corev1.PodStatus{QOSClass: corev1.PodQOSBestEffort, Conditions: []corev1.PodCondition{
		{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: earlier},
		{Type: corev1.PodReady, Status: corev1.ConditionFalse, LastTransitionTime: earlier},
	}}
	tests := []struct {
		name        string
		p           *podRuntime
		wantPhase   corev1.PodPhase
		wantReady   bool
		wantWaiting string
	}{
		{
			name:      "a running container makes a Ready, Running Pod",
			p:         &podRuntime{ip: netip.MustParseAddr("10.244.0.9"), sandbox: &sandbox{}, containers: []*container{running()}},
			wantPhase: corev1.PodRunning, wantReady: true,
		},
		{
			name: "a Secret still missing keeps the Pod Pending",
			p: &podRuntime{ip: netip.MustParseAddr("10.244.0.9"), problem: "volume v: Secret tls: not found", containers: []*container{
				{name: "echo", waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating", Message: "volume v: Secret tls: not found"}},
			}},
			wantPhase: corev1.PodPending, wantWaiting: "ContainerCreating",
		},
		{
			name: "a crashed container backing off keeps the Pod Running but not Ready",
			p: &podRuntime{ip: netip.MustParseAddr("10.244.0.9"), sandbox: &sandbox{}, containers: []*container{
				{name: "echo", restartCount: 2, waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}},
			}},
			wantPhase: corev1.PodRunning, wantWaiting: "CrashLoopBackOff",
		},
		{
			name: "a readiness probe is not run, so the container is never Ready",
			p: &podRuntime{ip: netip.MustParseAddr("10.244.0.9"), sandbox: &sandbox{}, containers: []*container{running()},
				readinessUnsupported: map[string]bool{"echo": true}},
			wantPhase: corev1.PodRunning,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// containerID needs a process; these instances have none.
			for _, c := range tt.p.containers {
				if c.instance != nil {
					c.instance.cmd = fakeCmd()
				}
			}
			got := podStatus(stored, tt.p, host, now)
			if got.Phase != tt.wantPhase {
				t.Errorf("phase %s, want %s", got.Phase, tt.wantPhase)
			}
			if ready := conditionOf(got, corev1.PodReady).Status == corev1.ConditionTrue; ready != tt.wantReady {
				t.Errorf("Ready %t, want %t", ready, tt.wantReady)
			}
			if got.PodIP != "10.244.0.9" || len(got.PodIPs) != 1 || got.HostIP != "10.243.0.1" || got.QOSClass != corev1.PodQOSBestEffort {
				t.Errorf("addresses or kept fields wrong: %+v", got)
			}
			if scheduled := conditionOf(got, corev1.PodScheduled); scheduled.LastTransitionTime != earlier {
				t.Errorf("an unchanged condition moved its transition time to %v", scheduled.LastTransitionTime)
			}
			if ready := conditionOf(got, corev1.PodReady); tt.wantReady && !ready.LastTransitionTime.Time.Equal(now) {
				t.Errorf("a changed condition kept its transition time %v", ready.LastTransitionTime)
			}
			cs := got.ContainerStatuses[0]
			if tt.wantWaiting != "" && (cs.State.Waiting == nil || cs.State.Waiting.Reason != tt.wantWaiting) {
				t.Errorf("container state %+v, want waiting %s", cs.State, tt.wantWaiting)
			}
			if statusChanged(got, podStatus(got, tt.p, host, now.Add(time.Minute))) {
				t.Error("computing the status again from the written one changes it: every sync would write")
			}
		})
	}
}

func TestCrashBackOff(t *testing.T) {
	t.Parallel()
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second}
	for restarts, d := range want {
		if got := crashBackOff(int32(restarts)); got != d {
			t.Errorf("crashBackOff(%d) = %s, want %s", restarts, got, d)
		}
	}
}

// fakeCmd is an exec.Cmd that ran: containerID reads its process id.
func fakeCmd() *exec.Cmd {
	return &exec.Cmd{Process: &os.Process{Pid: 4242}}
}
