package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// fixedObjects serves Secrets and ConfigMaps from memory, answering NotFound as
// the API server does.
type fixedObjects struct {
	secrets    map[string]*corev1.Secret
	configMaps map[string]*corev1.ConfigMap
}

func (o fixedObjects) secret(namespace, name string) (*corev1.Secret, error) {
	if s, ok := o.secrets[namespace+"/"+name]; ok {
		return s, nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "secrets"}, name)
}

func (o fixedObjects) configMap(namespace, name string) (*corev1.ConfigMap, error) {
	if cm, ok := o.configMaps[namespace+"/"+name]; ok {
		return cm, nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "configmaps"}, name)
}

func testObjects() fixedObjects {
	return fixedObjects{
		secrets: map[string]*corev1.Secret{"infra/tls": {Data: map[string][]byte{
			"tls.crt": []byte("CERT"), "tls.key": []byte("KEY"),
		}}},
		configMaps: map[string]*corev1.ConfigMap{"infra/settings": {Data: map[string]string{"level": "debug", "mode": "fast"}}},
	}
}

func testPod() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "infra-backend-v1-7d9f8b-x2x4q", Namespace: "infra", UID: "0c6d3e0a-1111-2222-3333-444455556666",
			Labels: map[string]string{"app": "infra-backend-v1", "tier": "web"}},
		Spec: corev1.PodSpec{NodeName: "conformance-node", ServiceAccountName: "default"},
	}
}

func fieldEnv(name, path string) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: path}}}
}

func TestContainerEnv(t *testing.T) {
	t.Parallel()
	optional := true
	ips := podIPs{pod: "10.244.0.7", host: "10.243.0.1"}
	tests := []struct {
		name    string
		c       corev1.Container
		want    []string
		wantErr bool
	}{
		{
			name: "the conformance backends' env",
			c: corev1.Container{Env: []corev1.EnvVar{
				fieldEnv("POD_NAME", "metadata.name"), fieldEnv("NAMESPACE", "metadata.namespace"),
				{Name: "TLS_SERVER_CERT", Value: "/etc/secret-volume/crt"},
			}},
			want: []string{"PATH=" + defaultPath, "HOSTNAME=infra-backend-v1-7d9f8b-x2x4q",
				"POD_NAME=infra-backend-v1-7d9f8b-x2x4q", "NAMESPACE=infra", "TLS_SERVER_CERT=/etc/secret-volume/crt"},
		},
		{
			name: "every supported field path",
			c: corev1.Container{Env: []corev1.EnvVar{
				fieldEnv("IP", "status.podIP"), fieldEnv("IPS", "status.podIPs"), fieldEnv("HOST", "status.hostIP"),
				fieldEnv("NODE", "spec.nodeName"), fieldEnv("SA", "spec.serviceAccountName"), fieldEnv("UID", "metadata.uid"),
				fieldEnv("APP", "metadata.labels['app']"), fieldEnv("LABELS", "metadata.labels"),
			}},
			want: []string{"PATH=" + defaultPath, "HOSTNAME=infra-backend-v1-7d9f8b-x2x4q",
				"IP=10.244.0.7", "IPS=10.244.0.7", "HOST=10.243.0.1", "NODE=conformance-node", "SA=default",
				"UID=0c6d3e0a-1111-2222-3333-444455556666", "APP=infra-backend-v1", "LABELS=app=\"infra-backend-v1\"\ntier=\"web\""},
		},
		{
			name: "references, expansion, envFrom and optional keys",
			c: corev1.Container{
				EnvFrom: []corev1.EnvFromSource{{Prefix: "CFG_", ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "settings"}}}},
				Env: []corev1.EnvVar{
					{Name: "KEY", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "tls"}, Key: "tls.key"}}},
					{Name: "GONE", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "missing"}, Key: "k", Optional: &optional}}},
					{Name: "MODE", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "settings"}, Key: "mode"}}},
					{Name: "MSG", Value: "$(MODE)-$(KEY) $$(MODE) $(UNKNOWN)"},
				},
			},
			want: []string{"PATH=" + defaultPath, "HOSTNAME=infra-backend-v1-7d9f8b-x2x4q", "CFG_level=debug", "CFG_mode=fast",
				"KEY=KEY", "MODE=fast", "MSG=fast-KEY $(MODE) $(UNKNOWN)"},
		},
		{
			name: "a missing Secret is an error until it exists",
			c: corev1.Container{Env: []corev1.EnvVar{{Name: "K", ValueFrom: &corev1.EnvVarSource{
				SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "later"}, Key: "k"}}}}},
			wantErr: true,
		},
		{
			name:    "a missing key is an error",
			c:       corev1.Container{Env: []corev1.EnvVar{{Name: "K", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "settings"}, Key: "nope"}}}}},
			wantErr: true,
		},
		{
			name:    "an unsupported field path is an error",
			c:       corev1.Container{Env: []corev1.EnvVar{fieldEnv("X", "spec.hostname")}},
			wantErr: true,
		},
		{
			name: "resourceFieldRef is not supported",
			c: corev1.Container{Env: []corev1.EnvVar{{Name: "CPU", ValueFrom: &corev1.EnvVarSource{
				ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.cpu"}}}}},
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := containerEnv(testPod(), &tt.c, ips, testObjects())
			if tt.wantErr {
				if err == nil {
					t.Fatalf("containerEnv = %q, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("env (-want +got):\n%s", diff)
			}
		})
	}
}

func TestImageName(t *testing.T) {
	t.Parallel()
	for image, want := range map[string]string{
		"registry.k8s.io/gateway-api/echo-basic:v1.5.1":      "registry.k8s.io/gateway-api/echo-basic",
		"registry.k8s.io/gateway-api/echo-basic@sha256:abcd": "registry.k8s.io/gateway-api/echo-basic",
		"localhost:5000/echo":                                "localhost:5000/echo",
		"localhost:5000/echo:v2":                             "localhost:5000/echo",
		"busybox":                                            "busybox",
	} {
		if got := imageName(image); got != want {
			t.Errorf("imageName(%q) = %q, want %q", image, got, want)
		}
	}
}
