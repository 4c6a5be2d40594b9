package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// objects reads the Secrets and ConfigMaps that env and volumes refer to.
type objects interface {
	secret(namespace, name string) (*corev1.Secret, error)
	configMap(namespace, name string) (*corev1.ConfigMap, error)
}

// podIPs are the addresses a Pod's env and status may name.
type podIPs struct {
	pod, host string
}

// defaultPath is the PATH a container gets, as container images commonly set it.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// containerEnv resolves a container's environment as the kubelet does: envFrom
// first, then env in order, each value expanding $(NAME) references to variables
// defined before it. The result is in os/exec form (NAME=value).
func containerEnv(pod *corev1.Pod, c *corev1.Container, ips podIPs, get objects) ([]string, error) {
	values := map[string]string{}
	var order []string
	set := func(name, value string) {
		if _, seen := values[name]; !seen {
			order = append(order, name)
		}
		values[name] = value
	}
	set("PATH", defaultPath)
	set("HOSTNAME", pod.Name)
	for _, from := range c.EnvFrom {
		data, err := envFromData(pod.Namespace, from, get)
		if err != nil {
			return nil, err
		}
		keys := make([]string, 0, len(data))
		for key := range data {
			keys = append(keys, key)
		}
		slices.Sort(keys)
		for _, key := range keys {
			set(from.Prefix+key, data[key])
		}
	}
	for _, env := range c.Env {
		if env.ValueFrom == nil {
			set(env.Name, expand(env.Value, values))
			continue
		}
		value, found, err := envValueFrom(pod, env, ips, get)
		if err != nil {
			return nil, fmt.Errorf("env %s: %w", env.Name, err)
		}
		if found {
			set(env.Name, value)
		}
	}
	out := make([]string, 0, len(order))
	for _, name := range order {
		out = append(out, name+"="+values[name])
	}
	return out, nil
}

func envFromData(namespace string, from corev1.EnvFromSource, get objects) (map[string]string, error) {
	switch {
	case from.SecretRef != nil:
		secret, err := get.secret(namespace, from.SecretRef.Name)
		if optionalMissing(err, from.SecretRef.Optional) {
			return nil, nil
		} else if err != nil {
			return nil, fmt.Errorf("envFrom Secret %s: %w", from.SecretRef.Name, err)
		}
		data := map[string]string{}
		for key, value := range secret.Data {
			data[key] = string(value)
		}
		return data, nil
	case from.ConfigMapRef != nil:
		cm, err := get.configMap(namespace, from.ConfigMapRef.Name)
		if optionalMissing(err, from.ConfigMapRef.Optional) {
			return nil, nil
		} else if err != nil {
			return nil, fmt.Errorf("envFrom ConfigMap %s: %w", from.ConfigMapRef.Name, err)
		}
		return cm.Data, nil
	}
	return nil, errors.New("envFrom names neither a Secret nor a ConfigMap")
}

// envValueFrom resolves one valueFrom; found is false for a missing optional key.
func envValueFrom(pod *corev1.Pod, env corev1.EnvVar, ips podIPs, get objects) (value string, found bool, err error) {
	from := env.ValueFrom
	switch {
	case from.FieldRef != nil:
		value, err := fieldValue(pod, from.FieldRef.FieldPath, ips)
		return value, err == nil, err
	case from.SecretKeyRef != nil:
		ref := from.SecretKeyRef
		secret, err := get.secret(pod.Namespace, ref.Name)
		if optionalMissing(err, ref.Optional) {
			return "", false, nil
		} else if err != nil {
			return "", false, fmt.Errorf("Secret %s: %w", ref.Name, err)
		}
		data, ok := secret.Data[ref.Key]
		if !ok && (ref.Optional == nil || !*ref.Optional) {
			return "", false, fmt.Errorf("Secret %s has no key %q", ref.Name, ref.Key)
		}
		return string(data), ok, nil
	case from.ConfigMapKeyRef != nil:
		ref := from.ConfigMapKeyRef
		cm, err := get.configMap(pod.Namespace, ref.Name)
		if optionalMissing(err, ref.Optional) {
			return "", false, nil
		} else if err != nil {
			return "", false, fmt.Errorf("ConfigMap %s: %w", ref.Name, err)
		}
		data, ok := cm.Data[ref.Key]
		if !ok && (ref.Optional == nil || !*ref.Optional) {
			return "", false, fmt.Errorf("ConfigMap %s has no key %q", ref.Name, ref.Key)
		}
		return data, ok, nil
	}
	return "", false, errors.New("only fieldRef, secretKeyRef and configMapKeyRef are supported by the process kubelet")
}

func optionalMissing(err error, optional *bool) bool {
	return apierrors.IsNotFound(err) && optional != nil && *optional
}

// fieldValue resolves a downward-API field path.
func fieldValue(pod *corev1.Pod, path string, ips podIPs) (string, error) {
	switch path {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return string(pod.UID), nil
	case "spec.nodeName":
		return pod.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.podIP", "status.podIPs":
		return ips.pod, nil
	case "status.hostIP", "status.hostIPs":
		return ips.host, nil
	}
	for prefix, values := range map[string]map[string]string{
		"metadata.labels": pod.Labels, "metadata.annotations": pod.Annotations,
	} {
		if path == prefix {
			return formatMap(values), nil
		}
		if key, ok := strings.CutPrefix(path, prefix+"['"); ok && strings.HasSuffix(key, "']") {
			return values[strings.TrimSuffix(key, "']")], nil
		}
	}
	return "", fmt.Errorf("field path %q is not supported by the process kubelet", path)
}

// formatMap renders labels or annotations as the downward API does: sorted
// key="value" lines.
func formatMap(values map[string]string) string {
	keys := make([]string, 0, len(values))
	for key := range values {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	lines := make([]string, 0, len(keys))
	for _, key := range keys {
		lines = append(lines, fmt.Sprintf("%s=%q", key, values[key]))
	}
	return strings.Join(lines, "\n")
}

// expand replaces $(NAME) with the value of a variable defined before; $$ is a
// literal $, and a reference to an unknown variable is kept as written.
func expand(s string, values map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			name := s[i+2 : i+2+end]
			if value, ok := values[name]; ok {
				b.WriteString(value)
			} else {
				b.WriteString(s[i : i+3+end])
			}
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}
