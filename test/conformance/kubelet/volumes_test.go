package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
)

// readTree returns every file under dir with its content and permissions.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		out[rel] = info.Mode().Perm().String() + " " + string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWriteVolumes(t *testing.T) {
	t.Parallel()
	mode := int32(0o600)
	pod := testPod()
	pod.Spec.Volumes = []corev1.Volume{
		{Name: "secret-volume", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
			SecretName: "tls", Items: []corev1.KeyToPath{{Key: "tls.crt", Path: "crt"}, {Key: "tls.key", Path: "key", Mode: &mode}},
		}}},
		{Name: "conf", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: "settings"},
		}}},
		{Name: "info", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{
			Items: []corev1.DownwardAPIVolumeFile{{Path: "meta/name", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
		}}},
		{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
	}
	pod.Spec.Containers = []corev1.Container{
		{Name: "a", VolumeMounts: []corev1.VolumeMount{{Name: "secret-volume", MountPath: "/etc/secret-volume", ReadOnly: true}, {Name: "conf", MountPath: "/root"}}},
		{Name: "b", VolumeMounts: []corev1.VolumeMount{{Name: "secret-volume", MountPath: "/etc/secret-volume/"}, {Name: "info", MountPath: "/etc/podinfo", SubPath: "meta"}}},
	}
	dir := t.TempDir()
	mounts, err := writeVolumes(pod, dir, testObjects(), podIPs{pod: "10.244.0.7"})
	if err != nil {
		t.Fatal(err)
	}
	wantMounts := []mount{
		{Source: filepath.Join(dir, "volumes/secret-volume"), Target: "/etc/secret-volume", ReadOnly: true},
		{Source: filepath.Join(dir, "volumes/conf"), Target: "/root"},
		{Source: filepath.Join(dir, "volumes/info/meta"), Target: "/etc/podinfo"},
	}
	if diff := cmp.Diff(wantMounts, mounts); diff != "" {
		t.Errorf("mounts (-want +got):\n%s", diff)
	}
	want := map[string]string{
		"secret-volume/crt": "-rw-r--r-- CERT", "secret-volume/key": "-rw------- KEY",
		"conf/level": "-rw-r--r-- debug", "conf/mode": "-rw-r--r-- fast",
		"info/meta/name": "-rw-r--r-- infra-backend-v1-7d9f8b-x2x4q",
	}
	if diff := cmp.Diff(want, readTree(t, filepath.Join(dir, "volumes"))); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if info, err := os.Stat(filepath.Join(dir, "volumes/scratch")); err != nil || !info.IsDir() {
		t.Errorf("the emptyDir volume is not a directory: %v", err)
	}
}

func TestWriteVolumesErrors(t *testing.T) {
	t.Parallel()
	optional := true
	tests := []struct {
		name    string
		volume  corev1.Volume
		mounts  []corev1.VolumeMount
		wantErr bool
	}{
		{name: "a Secret that does not exist yet", volume: corev1.Volume{Name: "v", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "later"}}}, wantErr: true},
		{name: "an optional Secret that does not exist", volume: corev1.Volume{Name: "v", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "later", Optional: &optional}}}},
		{name: "a missing item", volume: corev1.Volume{Name: "v", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "tls", Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca"}}}}}, wantErr: true},
		{name: "an item path leaving the volume", volume: corev1.Volume{Name: "v", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "tls", Items: []corev1.KeyToPath{{Key: "tls.crt", Path: "../../evil"}}}}}, wantErr: true},
		{name: "an unsupported kind", volume: corev1.Volume{Name: "v", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}, wantErr: true},
		{name: "a mount of a volume the Pod lacks", volume: corev1.Volume{Name: "v", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
			mounts: []corev1.VolumeMount{{Name: "other", MountPath: "/data"}}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pod := testPod()
			pod.Spec.Volumes = []corev1.Volume{tt.volume}
			pod.Spec.Containers = []corev1.Container{{Name: "c", VolumeMounts: tt.mounts}}
			_, err := writeVolumes(pod, t.TempDir(), testObjects(), podIPs{})
			if (err != nil) != tt.wantErr {
				t.Errorf("writeVolumes error = %v, want an error: %t", err, tt.wantErr)
			}
		})
	}
}
