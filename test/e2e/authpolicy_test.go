package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	tpv1a1 "github.com/turnpike-gateway/turnpike/api/v1alpha1"
)

// apiKeyPolicy protects the HTTPRoute "warming" with API keys from Secrets
// labelled app=e2e-keys.
const apiKeyPolicy = `
apiVersion: turnpike.dev/v1alpha1
kind: AuthPolicy
metadata:
  name: keys
  namespace: default
spec:
  targetRef:
    group: gateway.networking.k8s.io
    kind: HTTPRoute
    name: warming
  rules:
    authentication:
      api-key-users:
        apiKey:
          selector:
            matchLabels:
              app: e2e-keys
        credentials:
          authorizationHeader:
            prefix: APIKEY
`

func apiKeySecret(key string) string {
	return fmt.Sprintf(`
apiVersion: v1
kind: Secret
metadata:
  name: client-1
  namespace: default
  labels:
    app: e2e-keys
stringData:
  api_key: %s
`, key)
}

// checkAuthPolicyLifecycle applies an AuthPolicy with kubectl to a running
// `turnpike serve` and follows an API key through its Secret's life: created,
// rotated, deleted. The route's only endpoint is not ready, so a request that
// passes authentication is answered 503 (no-endpoints) and one that does not,
// 401: the status code tells the auth decision without a backend. The time from
// each kubectl call returning to the first request that sees the change is
// logged (the issue asks for "within a second"); it is a figure, not a check.
func checkAuthPolicyLifecycle(t *testing.T, k8s client.Client, kubectl func(stdin string, args ...string), base string, logs *lockedBuffer) {
	httpClient := &http.Client{Timeout: 5 * time.Second}
	decision := func(key string, wantStatus int, wantType string) func() error {
		return func() error {
			req, err := http.NewRequest(http.MethodGet, base+"/warming/x", nil)
			if err != nil {
				return err
			}
			if key != "" {
				req.Header.Set("Authorization", "APIKEY "+key)
			}
			resp, err := httpClient.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			var problem struct {
				Type string `json:"type"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&problem); err != nil {
				return fmt.Errorf("status %d: %w", resp.StatusCode, err)
			}
			if resp.StatusCode != wantStatus || !strings.HasSuffix(problem.Type, "/"+wantType) {
				return fmt.Errorf("key %q: status %d %s, want %d %s", key, resp.StatusCode, problem.Type, wantStatus, wantType)
			}
			return nil
		}
	}

	kubectl(apiKeyPolicy, "apply", "-f", "-")
	waitFor(t, "the AuthPolicy asks for credentials", logs, decision("", http.StatusUnauthorized, "credential-missing"))
	waitFor(t, "the leader writes AuthPolicy status", logs, func() error {
		policy := &tpv1a1.AuthPolicy{}
		if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: "keys"}, policy); err != nil {
			return err
		}
		for _, c := range policy.Status.Conditions {
			if c.Type == "Enforced" && c.Status == metav1.ConditionTrue && c.ObservedGeneration == policy.Generation {
				return nil
			}
		}
		return fmt.Errorf("conditions %+v", policy.Status.Conditions)
	})

	kubectl(apiKeySecret("e2e-key-one"), "apply", "-f", "-")
	created := waitFor(t, "a new key's Secret is accepted", logs, decision("e2e-key-one", http.StatusServiceUnavailable, "no-endpoints"))
	kubectl(apiKeySecret("e2e-key-two"), "apply", "-f", "-")
	rotated := waitFor(t, "the rotated key is accepted", logs, decision("e2e-key-two", http.StatusServiceUnavailable, "no-endpoints"))
	waitFor(t, "the old key is refused after rotation", logs, decision("e2e-key-one", http.StatusUnauthorized, "credential-invalid"))
	kubectl("", "delete", "secret", "-n", "default", "client-1")
	deleted := waitFor(t, "a deleted key's Secret is refused", logs, decision("e2e-key-two", http.StatusUnauthorized, "credential-invalid"))
	t.Logf("API key Secret to traffic: created %v, rotated %v, deleted %v (from kubectl returning to the first request that saw it)",
		created.Round(time.Millisecond), rotated.Round(time.Millisecond), deleted.Round(time.Millisecond))
}

// kubectlRunner runs the real kubectl with a kubeconfig, failing the test on error.
func kubectlRunner(t *testing.T, bin, kubeconfig string) func(stdin string, args ...string) {
	return func(stdin string, args ...string) {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"--kubeconfig", kubeconfig}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}
