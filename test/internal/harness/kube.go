package harness

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// KubeVersion is the version of the control-plane binaries that
// hack/build-kube-binaries.sh builds into bin/k8s/<version>.
const KubeVersion = "v1.37.2"

// KubeAssetsDir is where envtest finds kube-apiserver, etcd and kubectl:
// $KUBEBUILDER_ASSETS, else bin/k8s/<KubeVersion> under repoRoot (the cache that
// `make envtest-bins` fills).
func KubeAssetsDir(repoRoot string) (string, error) {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir, nil
	}
	dir, err := filepath.Abs(filepath.Join(repoRoot, "bin", "k8s", KubeVersion))
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(dir, "kube-apiserver")); err != nil {
		return "", fmt.Errorf("no kube-apiserver in %s: run `make envtest-bins` (or `make test`) first", dir)
	}
	return dir, nil
}

// KubeAssets is KubeAssetsDir for a test, which it fails when the binaries are missing.
func KubeAssets(tb testing.TB, repoRoot string) string {
	tb.Helper()
	dir, err := KubeAssetsDir(repoRoot)
	if err != nil {
		tb.Fatal(err)
	}
	return dir
}

// WriteKubeconfig adds user to env's API server and writes a kubeconfig for it
// into the test's temporary directory, for a process under test to use.
func WriteKubeconfig(tb testing.TB, env *envtest.Environment, user envtest.User) string {
	tb.Helper()
	added, err := env.ControlPlane.AddUser(user, nil)
	if err != nil {
		tb.Fatal(err)
	}
	kubeconfig, err := added.KubeConfig()
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, kubeconfig, 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}
