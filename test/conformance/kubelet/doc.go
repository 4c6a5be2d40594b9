// Command kubelet is the conformance harness's process kubelet: a stand-in for a
// real kubelet and container runtime on a machine that has neither. It is test
// infrastructure (never shipped) and sits outside Turnpike's pipeline: it turns the
// Pods that the Gateway API conformance suite's Deployments create into local
// processes, so that Turnpike has real backends to route to.
//
// It registers one Ready Node and heartbeats it, binds every pending Pod to it,
// and runs each container as a process of the binary its image is mapped to (-image).
// Each Pod gets a sandbox: a small holder process in new network, mount and UTS
// namespaces, a veth pair to the host with its own IP from -pod-cidr, and its
// secret, configMap, downwardAPI and emptyDir volumes written into a per-Pod
// directory and bind-mounted at their mountPaths inside the Pod's mount namespace.
// It resolves env (value, fieldRef, secretKeyRef, configMapKeyRef), reports Pod
// status (phase, IPs, conditions, containerStatuses), restarts crashed processes
// with back-off, stops them when the Pod is deleted and then removes the Pod, and
// serves containerLogs over HTTPS for `kubectl logs` (the API server's pods/log).
//
// Not supported, and reported in the Pod's status when asked for: images without a
// mapping, command overrides, readiness probes (a container that declares one is
// never Ready), init containers, hostNetwork, volume kinds other than those above.
// Liveness and startup probes are not run; Service environment variables are not
// injected.
// Linux only, and it must run as root inside the network namespace the harness
// creates (hack/conformance.sh).
package main
