package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// mount is one bind mount of a Pod's sandbox: a host directory (or file) made
// visible at a path inside the Pod's mount namespace.
type mount struct {
	Source   string
	Target   string
	ReadOnly bool
}

// writeVolumes materialises the Pod's volumes under dir/volumes/<name> and returns
// the bind mounts its containers ask for. It fails, naming what is missing, while a
// Secret or ConfigMap a volume needs does not exist yet (the conformance suite
// creates some Secrets after the Deployments that mount them): the caller retries.
func writeVolumes(pod *corev1.Pod, dir string, get objects, ips podIPs) ([]mount, error) {
	paths := map[string]string{}
	for _, volume := range pod.Spec.Volumes {
		path := filepath.Join(dir, "volumes", volume.Name)
		files, err := volumeFiles(pod, volume, get, ips)
		if err != nil {
			return nil, fmt.Errorf("volume %s: %w", volume.Name, err)
		}
		if err := writeFiles(path, files); err != nil {
			return nil, fmt.Errorf("volume %s: %w", volume.Name, err)
		}
		paths[volume.Name] = path
	}
	var mounts []mount
	targets := map[string]string{}
	for _, c := range pod.Spec.Containers {
		for _, vm := range c.VolumeMounts {
			source, ok := paths[vm.Name]
			if !ok {
				return nil, fmt.Errorf("container %s mounts volume %s, which the Pod does not have", c.Name, vm.Name)
			}
			if vm.SubPath != "" {
				source = filepath.Join(source, filepath.Clean("/"+vm.SubPath))
			}
			target := filepath.Clean(vm.MountPath)
			// One mount namespace per Pod: containers may share a mount point only
			// when they mount the same thing there.
			if previous, ok := targets[target]; ok {
				if previous != source {
					return nil, fmt.Errorf("two containers mount different volumes at %s; the process kubelet has one mount namespace per Pod", target)
				}
				continue
			}
			targets[target] = source
			mounts = append(mounts, mount{Source: source, Target: target, ReadOnly: vm.ReadOnly})
		}
	}
	return mounts, nil
}

// file is one file of a volume, with its permissions.
type file struct {
	data []byte
	mode fs.FileMode
}

func volumeFiles(pod *corev1.Pod, volume corev1.Volume, get objects, ips podIPs) (map[string]file, error) {
	source := volume.VolumeSource
	switch {
	case source.EmptyDir != nil:
		return map[string]file{}, nil
	case source.Secret != nil:
		return secretFiles(pod.Namespace, source.Secret.SecretName, source.Secret.Items, source.Secret.DefaultMode, source.Secret.Optional, get)
	case source.ConfigMap != nil:
		return configMapFiles(pod.Namespace, source.ConfigMap.Name, source.ConfigMap.Items, source.ConfigMap.DefaultMode, source.ConfigMap.Optional, get)
	case source.DownwardAPI != nil:
		return downwardFiles(pod, source.DownwardAPI.Items, source.DownwardAPI.DefaultMode, ips)
	case source.Projected != nil:
		files := map[string]file{}
		for _, projection := range source.Projected.Sources {
			var more map[string]file
			var err error
			switch {
			case projection.Secret != nil:
				more, err = secretFiles(pod.Namespace, projection.Secret.Name, projection.Secret.Items, source.Projected.DefaultMode, projection.Secret.Optional, get)
			case projection.ConfigMap != nil:
				more, err = configMapFiles(pod.Namespace, projection.ConfigMap.Name, projection.ConfigMap.Items, source.Projected.DefaultMode, projection.ConfigMap.Optional, get)
			case projection.DownwardAPI != nil:
				more, err = downwardFiles(pod, projection.DownwardAPI.Items, source.Projected.DefaultMode, ips)
			default:
				err = fmt.Errorf("projected sources other than secret, configMap and downwardAPI are not supported by the process kubelet")
			}
			if err != nil {
				return nil, err
			}
			for name, f := range more {
				files[name] = f
			}
		}
		return files, nil
	}
	return nil, fmt.Errorf("only emptyDir, secret, configMap, downwardAPI and projected volumes are supported by the process kubelet")
}

func secretFiles(namespace, name string, items []corev1.KeyToPath, defaultMode *int32, optional *bool, get objects) (map[string]file, error) {
	secret, err := get.secret(namespace, name)
	if optionalMissing(err, optional) {
		return map[string]file{}, nil
	} else if err != nil {
		return nil, fmt.Errorf("Secret %s: %w", name, err)
	}
	return keyFiles("Secret "+name, secret.Data, items, defaultMode, optional)
}

func configMapFiles(namespace, name string, items []corev1.KeyToPath, defaultMode *int32, optional *bool, get objects) (map[string]file, error) {
	cm, err := get.configMap(namespace, name)
	if optionalMissing(err, optional) {
		return map[string]file{}, nil
	} else if err != nil {
		return nil, fmt.Errorf("ConfigMap %s: %w", name, err)
	}
	data := map[string][]byte{}
	for key, value := range cm.Data {
		data[key] = []byte(value)
	}
	for key, value := range cm.BinaryData {
		data[key] = value
	}
	return keyFiles("ConfigMap "+name, data, items, defaultMode, optional)
}

// keyFiles lays out the keys of a Secret or ConfigMap: every key as a file of its
// name, or only the listed items at their paths.
func keyFiles(what string, data map[string][]byte, items []corev1.KeyToPath, defaultMode *int32, optional *bool) (map[string]file, error) {
	mode := fileMode(nil, defaultMode)
	files := map[string]file{}
	if len(items) == 0 {
		for key, value := range data {
			files[key] = file{data: value, mode: mode}
		}
		return files, nil
	}
	for _, item := range items {
		value, ok := data[item.Key]
		if !ok {
			if optional != nil && *optional {
				continue
			}
			return nil, fmt.Errorf("%s has no key %q", what, item.Key)
		}
		files[item.Path] = file{data: value, mode: fileMode(item.Mode, defaultMode)}
	}
	return files, nil
}

func downwardFiles(pod *corev1.Pod, items []corev1.DownwardAPIVolumeFile, defaultMode *int32, ips podIPs) (map[string]file, error) {
	files := map[string]file{}
	for _, item := range items {
		if item.FieldRef == nil {
			return nil, fmt.Errorf("downwardAPI file %s: only fieldRef is supported by the process kubelet", item.Path)
		}
		value, err := fieldValue(pod, item.FieldRef.FieldPath, ips)
		if err != nil {
			return nil, fmt.Errorf("downwardAPI file %s: %w", item.Path, err)
		}
		files[item.Path] = file{data: []byte(value), mode: fileMode(item.Mode, defaultMode)}
	}
	return files, nil
}

func fileMode(mode, defaultMode *int32) fs.FileMode {
	switch {
	case mode != nil:
		return fs.FileMode(*mode) & fs.ModePerm
	case defaultMode != nil:
		return fs.FileMode(*defaultMode) & fs.ModePerm
	}
	return 0o644
}

// writeFiles replaces dir's content with files; paths may not leave dir.
func writeFiles(dir string, files map[string]file) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, f := range files {
		clean := filepath.Clean("/" + name)
		if clean == "/" || strings.Contains(name, "..") {
			return fmt.Errorf("file path %q is not a relative path inside the volume", name)
		}
		path := filepath.Join(dir, clean)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, f.data, f.mode); err != nil {
			return err
		}
		// WriteFile's mode passes through the umask; volumes get exactly theirs.
		if err := os.Chmod(path, f.mode); err != nil {
			return err
		}
	}
	return nil
}
