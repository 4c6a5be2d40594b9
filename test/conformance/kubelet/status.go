package main

import (
	"net/netip"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// podStatus computes a Pod's status from its runtime state, starting from the
// stored status (which keeps what others set, such as qosClass) and keeping the
// transition time of conditions whose status did not change.
func podStatus(stored corev1.PodStatus, p *podRuntime, hostIP netip.Addr, now time.Time) corev1.PodStatus {
	status := *stored.DeepCopy()
	status.HostIP = hostIP.String()
	status.HostIPs = []corev1.HostIP{{IP: hostIP.String()}}
	if p.ip.IsValid() {
		status.PodIP = p.ip.String()
		status.PodIPs = []corev1.PodIP{{IP: p.ip.String()}}
	}
	if status.StartTime == nil {
		status.StartTime = &metav1.Time{Time: p.created}
	}
	status.ContainerStatuses = nil
	allRunning, everStarted, allReady := true, false, true
	for _, c := range p.containers {
		cs := containerStatus(c, p.readinessUnsupported[c.name])
		status.ContainerStatuses = append(status.ContainerStatuses, cs)
		if cs.State.Running == nil {
			allRunning = false
		}
		if cs.State.Running != nil || cs.RestartCount > 0 {
			everStarted = true
		}
		allReady = allReady && cs.Ready
	}
	status.Phase = corev1.PodPending
	if everStarted {
		// Containers restart forever (restartPolicy Always), so a Pod whose
		// containers once ran is Running, even between crashes.
		status.Phase = corev1.PodRunning
	}
	ready := allRunning && allReady && len(p.containers) > 0
	status.Message, status.Reason = "", ""
	if p.problem != "" {
		status.Message = p.problem
	}
	conditions := []corev1.PodCondition{
		podCondition(corev1.PodScheduled, true, "", ""),
		podCondition(corev1.PodReadyToStartContainers, p.sandbox != nil, "", ""),
		podCondition(corev1.PodInitialized, true, "", ""),
		podCondition(corev1.ContainersReady, ready, notReadyReason(ready), ""),
		podCondition(corev1.PodReady, ready, notReadyReason(ready), ""),
	}
	for i := range conditions {
		c := &conditions[i]
		c.LastTransitionTime = metav1.NewTime(now)
		for _, old := range stored.Conditions {
			if old.Type == c.Type && old.Status == c.Status {
				c.LastTransitionTime = old.LastTransitionTime
			}
		}
	}
	status.Conditions = conditions
	return status
}

func notReadyReason(ready bool) string {
	if ready {
		return ""
	}
	return "ContainersNotReady"
}

func podCondition(t corev1.PodConditionType, ok bool, reason, message string) corev1.PodCondition {
	status := corev1.ConditionFalse
	if ok {
		status = corev1.ConditionTrue
	}
	return corev1.PodCondition{Type: t, Status: status, Reason: reason, Message: message}
}

// containerStatus reports one container. Probes are not run, so a container
// that declares a readiness probe is never reported Ready rather than Ready
// untested.
func containerStatus(c *container, readinessUnsupported bool) corev1.ContainerStatus {
	cs := corev1.ContainerStatus{
		Name: c.name, Image: c.image, ImageID: c.image,
		RestartCount: c.restartCount, LastTerminationState: c.lastState,
	}
	started := false
	switch {
	case c.instance != nil:
		cs.State.Running = &corev1.ContainerStateRunning{StartedAt: c.instance.startedAt}
		cs.ContainerID = containerID(c.instance)
		started = true
		cs.Ready = !readinessUnsupported
	case c.waiting != nil:
		cs.State.Waiting = c.waiting.DeepCopy()
	default:
		cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}
	}
	cs.Started = &started
	return cs
}

// statusChanged says whether writing desired would change anything stored.
func statusChanged(stored, desired corev1.PodStatus) bool {
	return !apiequality.Semantic.DeepEqual(stored, desired)
}
