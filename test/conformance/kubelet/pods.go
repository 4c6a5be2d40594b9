package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// kubelet runs the Pods bound to its Node.
type kubelet struct {
	client   kubernetes.Interface
	nodeName string
	nodeIP   netip.Addr
	rootDir  string
	self     string            // this binary, run again as the sandbox holder
	images   map[string]string // image name (no tag) -> binary
	ipam     *ipam
	pods     corelisters.PodLister
	queue    workqueue.TypedRateLimitingInterface[string]
	log      *slog.Logger

	mu sync.Mutex
	// running has the runtime state of every Pod this kubelet started, by
	// namespace/name.
	running map[string]*podRuntime
}

// podRuntime is what runs for one Pod.
type podRuntime struct {
	uid        types.UID
	dir        string
	ip         netip.Addr
	created    time.Time
	sandbox    *sandbox
	containers []*container
	// readinessUnsupported names the containers that declare a readiness
	// probe, which the process kubelet does not run.
	readinessUnsupported map[string]bool
	// problem says why the Pod cannot start yet (a Secret it mounts is missing).
	problem string
}

// eventHandler queues every Pod event; sync does the rest.
func (k *kubelet) eventHandler() cache.ResourceEventHandler {
	enqueue := func(obj any) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			k.queue.Add(key)
		}
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
		DeleteFunc: enqueue,
	}
}

// worker processes queued Pods until the queue shuts down.
func (k *kubelet) worker(ctx context.Context) {
	for {
		key, shutdown := k.queue.Get()
		if shutdown {
			return
		}
		retry, err := k.sync(ctx, key)
		switch {
		case err != nil:
			k.log.Error("Syncing a Pod failed; retrying", "pod", key, "error", err)
			k.queue.AddRateLimited(key)
		case retry > 0:
			k.queue.Forget(key)
			k.queue.AddAfter(key, retry)
		default:
			k.queue.Forget(key)
		}
		k.queue.Done(key)
	}
}

// sync brings one Pod's processes in line with its object, and its status in line
// with its processes. It returns when to look again (for back-offs and missing
// Secrets), or an error to retry with rate limiting.
func (k *kubelet) sync(ctx context.Context, key string) (time.Duration, error) {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	pod, err := k.pods.Pods(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		k.stopPod(key, 0)
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	if pod.Spec.NodeName == "" {
		if pod.DeletionTimestamp != nil {
			return 0, nil
		}
		return 0, k.bind(ctx, pod)
	}
	if pod.Spec.NodeName != k.nodeName {
		return 0, nil
	}
	if pod.DeletionTimestamp != nil {
		return 0, k.terminate(ctx, key, pod)
	}
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return 0, nil
	}
	k.mu.Lock()
	p := k.running[key]
	if p != nil && p.uid != pod.UID {
		// The same name, a new Pod: the old one's processes go first.
		k.mu.Unlock()
		k.stopPod(key, 0)
		k.mu.Lock()
		p = nil
	}
	if p == nil {
		p, err = k.newPodRuntime(pod)
		if err != nil {
			k.mu.Unlock()
			return 0, err
		}
		k.running[key] = p
	}
	retry := k.ensureRunning(key, pod, p)
	desired := podStatus(pod.Status, p, k.nodeIP, time.Now())
	k.mu.Unlock()

	if statusChanged(pod.Status, desired) {
		updated := pod.DeepCopy()
		updated.Status = desired
		if _, err := k.client.CoreV1().Pods(namespace).UpdateStatus(ctx, updated, metav1.UpdateOptions{}); err != nil {
			if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
				return time.Second, nil // the informer brings the newer object
			}
			return 0, fmt.Errorf("updating the status: %w", err)
		}
	}
	return retry, nil
}

func (k *kubelet) newPodRuntime(pod *corev1.Pod) (*podRuntime, error) {
	ip, err := k.ipam.allocate(pod.UID)
	if err != nil {
		return nil, err
	}
	p := &podRuntime{
		uid: pod.UID, ip: ip, created: time.Now(),
		dir:                  filepath.Join(k.rootDir, "pods", pod.Namespace+"_"+pod.Name+"_"+string(pod.UID)),
		readinessUnsupported: map[string]bool{},
	}
	for _, spec := range pod.Spec.Containers {
		c := &container{name: spec.Name, image: spec.Image, binary: k.images[imageName(spec.Image)]}
		switch {
		case c.binary == "":
			c.waiting = &corev1.ContainerStateWaiting{Reason: "ErrImagePull",
				Message: fmt.Sprintf("No local binary is mapped to image %s; start the process kubelet with -image %s=PATH.", imageName(spec.Image), imageName(spec.Image))}
		case len(spec.Command) > 0:
			c.waiting = &corev1.ContainerStateWaiting{Reason: "CreateContainerConfigError",
				Message: "The process kubelet runs an image's mapped binary as its entry point; command cannot be overridden."}
		}
		if spec.ReadinessProbe != nil {
			p.readinessUnsupported[spec.Name] = true
		}
		p.containers = append(p.containers, c)
	}
	if len(pod.Spec.InitContainers) > 0 || pod.Spec.HostNetwork {
		p.problem = "Init containers and hostNetwork are not supported by the process kubelet."
	}
	return p, os.MkdirAll(p.dir, 0o755)
}

// ensureRunning starts the sandbox and every container that should run, and
// returns when to look again. The caller holds k.mu.
func (k *kubelet) ensureRunning(key string, pod *corev1.Pod, p *podRuntime) time.Duration {
	if strings.HasPrefix(p.problem, "Init containers") {
		return 0
	}
	ips := podIPs{pod: p.ip.String(), host: k.nodeIP.String()}
	objects := apiObjects{client: k.client}
	if p.sandbox == nil {
		mounts, err := writeVolumes(pod, p.dir, objects, ips)
		if err == nil {
			p.sandbox, err = k.startSandbox(pod, p, mounts)
		}
		if err != nil {
			p.problem = err.Error()
			for _, c := range p.containers {
				if c.binary != "" {
					c.waiting = &corev1.ContainerStateWaiting{Reason: "ContainerCreating", Message: p.problem}
				}
			}
			return 2 * time.Second
		}
		p.problem = ""
	}
	var retry time.Duration
	for i, c := range p.containers {
		if c.instance != nil || c.binary == "" || len(pod.Spec.Containers[i].Command) > 0 {
			continue
		}
		if wait := time.Until(c.notBefore); wait > 0 {
			retry = minPositive(retry, wait)
			continue
		}
		spec := &pod.Spec.Containers[i]
		env, err := containerEnv(pod, spec, ips, objects)
		if err != nil {
			c.waiting = &corev1.ContainerStateWaiting{Reason: "CreateContainerConfigError", Message: err.Error() + "."}
			retry = minPositive(retry, 2*time.Second)
			continue
		}
		in, err := startInstance(c, spec, p.sandbox, p.dir, env)
		if err != nil {
			c.waiting = &corev1.ContainerStateWaiting{Reason: "RunContainerError", Message: err.Error() + "."}
			c.notBefore = time.Now().Add(crashBackOff(c.restartCount))
			retry = minPositive(retry, crashBackOff(c.restartCount))
			continue
		}
		c.instance, c.waiting = in, nil
		k.log.Info("Started container", "pod", key, "container", c.name, "pid", in.cmd.Process.Pid, "ip", p.ip)
		go k.watchExit(key, p, c, in)
	}
	return retry
}

func (k *kubelet) startSandbox(pod *corev1.Pod, p *podRuntime, mounts []mount) (*sandbox, error) {
	sb, err := startSandbox(k.self, sandboxConfig{
		Hostname: pod.Name, Mounts: mounts, OverlayDir: filepath.Join(p.dir, "overlay"),
	}, filepath.Join(p.dir, "sandbox.log"))
	if err != nil {
		return nil, err
	}
	veth := "tp" + strings.ReplaceAll(string(p.uid), "-", "")[:10]
	if err := sb.connect(veth, p.ip, k.nodeIP); err != nil {
		sb.stop()
		return nil, err
	}
	return sb, nil
}

// watchExit records a process's exit and schedules its restart.
func (k *kubelet) watchExit(key string, p *podRuntime, c *container, in *instance) {
	<-in.done
	k.mu.Lock()
	defer k.mu.Unlock()
	if c.instance != in {
		return
	}
	c.instance = nil
	c.lastState = corev1.ContainerState{Terminated: in.terminated()}
	if in.stopping {
		return
	}
	c.restartCount++
	backOff := crashBackOff(c.restartCount - 1)
	c.notBefore = time.Now().Add(backOff)
	c.waiting = &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff",
		Message: fmt.Sprintf("The process exited with code %d; restarting in %s (log: %s).", in.exitCode, backOff, in.logPath)}
	k.log.Info("Container exited; restarting after a back-off", "pod", key, "container", c.name,
		"exitCode", in.exitCode, "backOff", backOff)
	k.queue.Add(key)
}

// terminate stops a deleted Pod's processes, then removes the Pod object, as a
// kubelet does once its containers are gone.
func (k *kubelet) terminate(ctx context.Context, key string, pod *corev1.Pod) error {
	grace := 30 * time.Second
	if pod.DeletionGracePeriodSeconds != nil {
		grace = time.Duration(*pod.DeletionGracePeriodSeconds) * time.Second
	}
	k.stopPod(key, min(grace, 10*time.Second))
	zero := int64(0)
	err := k.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{
		GracePeriodSeconds: &zero, Preconditions: &metav1.Preconditions{UID: &pod.UID},
	})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	return err
}

// stopPod stops a Pod's processes and sandbox and frees its IP and directory.
func (k *kubelet) stopPod(key string, grace time.Duration) {
	k.mu.Lock()
	p := k.running[key]
	delete(k.running, key)
	var instances []*instance
	if p != nil {
		for _, c := range p.containers {
			if c.instance != nil {
				c.instance.stopping = true
				instances = append(instances, c.instance)
			}
		}
	}
	k.mu.Unlock()
	if p == nil {
		return
	}
	var wg sync.WaitGroup
	for _, in := range instances {
		wg.Go(func() { in.stop(grace) })
	}
	wg.Wait()
	if p.sandbox != nil {
		p.sandbox.stop()
	}
	k.ipam.release(p.uid)
	// Logs stay for debugging until the run's directory is removed; volumes
	// (which hold Secrets) go now.
	_ = os.RemoveAll(filepath.Join(p.dir, "volumes"))
	k.log.Info("Stopped Pod", "pod", key)
}

// stopAll stops every Pod, when the kubelet shuts down.
func (k *kubelet) stopAll() {
	k.mu.Lock()
	keys := make([]string, 0, len(k.running))
	for key := range k.running {
		keys = append(keys, key)
	}
	k.mu.Unlock()
	var wg sync.WaitGroup
	for _, key := range keys {
		wg.Go(func() { k.stopPod(key, 5*time.Second) })
	}
	wg.Wait()
}

// bind assigns a pending Pod to this Node: the scheduler's job, with one Node.
func (k *kubelet) bind(ctx context.Context, pod *corev1.Pod) error {
	err := k.client.CoreV1().Pods(pod.Namespace).Bind(ctx, &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID},
		Target:     corev1.ObjectReference{Kind: "Node", Name: k.nodeName},
	}, metav1.CreateOptions{})
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		return nil // already bound, or gone
	}
	return err
}

// logFile finds the log of a container's current (or previous) instance, and a
// channel closed when that instance stops.
func (k *kubelet) logFile(namespace, pod, name string, previous bool) (string, <-chan struct{}, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	p := k.running[namespace+"/"+pod]
	if p == nil {
		return "", nil, fmt.Errorf("pod %s/%s does not run on this node", namespace, pod)
	}
	for _, c := range p.containers {
		if c.name != name {
			continue
		}
		if previous {
			if c.restartCount == 0 || c.lastState.Terminated == nil {
				return "", nil, fmt.Errorf("container %s has no previous instance", name)
			}
			closed := make(chan struct{})
			close(closed)
			return filepath.Join(p.dir, "logs", name, fmt.Sprintf("%d.log", c.restartCount-1)), closed, nil
		}
		if c.instance != nil {
			return c.instance.logPath, c.instance.done, nil
		}
		if c.restartCount > 0 || c.lastState.Terminated != nil {
			closed := make(chan struct{})
			close(closed)
			return filepath.Join(p.dir, "logs", name, fmt.Sprintf("%d.log", max(c.restartCount-1, 0))), closed, nil
		}
		return "", nil, fmt.Errorf("container %s has not started", name)
	}
	return "", nil, fmt.Errorf("pod %s/%s has no container %s", namespace, pod, name)
}

func minPositive(a, b time.Duration) time.Duration {
	if a <= 0 || b < a {
		return b
	}
	return a
}

// apiObjects reads Secrets and ConfigMaps straight from the API server: few Pods
// need them, and a watch on every Secret would be more than this needs.
type apiObjects struct {
	client kubernetes.Interface
}

func (o apiObjects) secret(namespace, name string) (*corev1.Secret, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return o.client.CoreV1().Secrets(namespace).Get(ctx, name, metav1.GetOptions{})
}

func (o apiObjects) configMap(namespace, name string) (*corev1.ConfigMap, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return o.client.CoreV1().ConfigMaps(namespace).Get(ctx, name, metav1.GetOptions{})
}
