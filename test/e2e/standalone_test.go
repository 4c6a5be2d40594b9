package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

type echoAnswer struct {
	Backend string            `json:"backend"`
	Path    string            `json:"path"`
	Headers map[string]string `json:"headers"`
}

// startProcess runs a binary until the test ends and returns its output buffer.
func startProcess(t *testing.T, bin string, args ...string) (*exec.Cmd, *lockedBuffer) {
	t.Helper()
	out := newLockedBuffer()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_, _ = cmd.Process.Wait()
		}
	})
	return cmd, out
}

// waitFor polls until check passes; the deadline is a hang guard, not a measurement.
func waitFor(t *testing.T, what string, logs *lockedBuffer, check func() error) time.Duration {
	t.Helper()
	start := time.Now()
	var err error
	for time.Since(start) < 30*time.Second {
		if err = check(); err == nil {
			return time.Since(start)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: %v\nturnpike output:\n%s", what, err, logs.String())
	return 0
}

func get(client *http.Client, url, host string) (*http.Response, []byte, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, nil, err
	}
	if host != "" {
		req.Host = host
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

func answer(client *http.Client, url, host string) (echoAnswer, error) {
	resp, body, err := get(client, url, host)
	if err != nil {
		return echoAnswer{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return echoAnswer{}, fmt.Errorf("status %d: %s", resp.StatusCode, body)
	}
	var a echoAnswer
	err = json.Unmarshal(body, &a)
	return a, err
}

func TestQuickstart(t *testing.T) {
	dir, ports := copyQuickstart(t)
	for name, port := range map[string]int{"hello-1": ports.hello1, "hello-2": ports.hello2, "api": ports.api} {
		startProcess(t, backendBin, "--name", name, "--listen", fmt.Sprintf("127.0.0.1:%d", port))
	}
	admin := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	gatewayProc, logs := startProcess(t, turnpikeBin, "standalone", "--config", dir, "--admin-address", admin, "--drain-timeout", "5s")
	base := fmt.Sprintf("http://127.0.0.1:%d", ports.listener)
	client := &http.Client{Timeout: 5 * time.Second}

	waitFor(t, "readyz", logs, func() error {
		resp, body, err := get(client, "http://"+admin+"/readyz", "")
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("readyz %d: %s", resp.StatusCode, body)
		}
		return nil
	})
	if resp, body, err := get(client, "http://"+admin+"/metrics", ""); err != nil || resp.StatusCode != http.StatusOK ||
		!strings.Contains(string(body), "turnpike_ratelimit_redis_errors_total") {
		t.Errorf("/metrics on the admin port: %v %v\n%.300s", resp, err, body)
	}
	waitFor(t, "both hello backends answer in turn", logs, func() error {
		seen := map[string]bool{}
		for range 4 {
			a, err := answer(client, base+"/", "")
			if err != nil {
				return err
			}
			seen[a.Backend] = true
		}
		if !seen["hello-1"] || !seen["hello-2"] {
			return fmt.Errorf("backends seen: %v", seen)
		}
		return nil
	})

	a, err := answer(client, base+"/v1/toys", "api.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if a.Backend != "api" || a.Headers["X-Api-Version"] != "v1" || a.Headers["X-Forwarded-For"] != "127.0.0.1" {
		t.Errorf("api route answer: %+v", a)
	}
	// A host with exact-hostname routes still reaches the catch-all route for paths
	// those routes do not match: every route whose hostnames match the request competes.
	if a, err := answer(client, base+"/other", "api.example.com"); err != nil || !strings.HasPrefix(a.Backend, "hello") {
		t.Errorf("api.example.com/other should fall to the hello route: %+v, %v", a, err)
	}

	// Hot reload under load: point the hello route at the api backend while clients
	// keep sending requests on kept-alive connections; no request may fail.
	var (
		stop     atomic.Bool
		failures atomic.Int64
		total    atomic.Int64
		wg       sync.WaitGroup
		errMu    sync.Mutex
		firstErr error
	)
	loadClient := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				resp, body, err := get(loadClient, base+"/", "")
				total.Add(1)
				if err == nil && resp.StatusCode != http.StatusOK {
					err = fmt.Errorf("status %d: %s", resp.StatusCode, body)
				}
				if err != nil {
					failures.Add(1)
					errMu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					errMu.Unlock()
				}
			}
		}()
	}
	routesFile := filepath.Join(dir, "routes.yaml")
	original, err := os.ReadFile(routesFile)
	if err != nil {
		t.Fatal(err)
	}
	edited := bytes.Replace(original, []byte("    - name: hello\n"), []byte("    - name: api\n"), 1)
	if bytes.Equal(edited, original) {
		t.Fatal("the quick-start routes.yaml no longer has the hello backendRef this test edits")
	}
	writeAtomically(t, routesFile, edited)
	took := waitFor(t, "routing follows the edit", logs, func() error {
		a, err := answer(client, base+"/", "")
		if err != nil {
			return err
		}
		if a.Backend != "api" {
			return fmt.Errorf("still answered by %s", a.Backend)
		}
		return nil
	})
	t.Logf("routing followed the edit after %s (including this test's polling)", took)

	// A broken edit is rejected; the last good version keeps serving.
	broken := bytes.Replace(edited, []byte("type: PathPrefix"), []byte("type: Prefix"), 1)
	writeAtomically(t, routesFile, broken)
	waitFor(t, "the broken edit is reported", logs, func() error {
		if !strings.Contains(logs.String(), "routes.yaml") || !strings.Contains(logs.String(), "Prefix") {
			return fmt.Errorf("no log line names routes.yaml and the bad value yet")
		}
		return nil
	})
	for range 10 {
		a, err := answer(client, base+"/", "")
		if err != nil || a.Backend != "api" {
			t.Fatalf("after a rejected edit the last good route must keep serving: %+v, %v", a, err)
		}
	}
	stop.Store(true)
	wg.Wait()
	if failures.Load() > 0 {
		t.Errorf("%d of %d requests failed during the reloads; first: %v", failures.Load(), total.Load(), firstErr)
	}
	t.Logf("%d requests during the reloads, %d failed", total.Load(), failures.Load())

	// SIGTERM drains and exits cleanly.
	if err := gatewayProc.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- gatewayProc.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("turnpike exited with %v after SIGTERM\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("turnpike did not exit after SIGTERM\n%s", logs.String())
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	dir, _ := copyQuickstart(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, turnpikeBin, "standalone", "--check", "--config", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("--check on the quick start failed: %v\n%s", err, out)
	}

	// A route to a Service that does not exist, and a file with a schema error.
	extra := []byte(`apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: dangling
  namespace: default
spec:
  parentRefs:
  - name: quickstart
  rules:
  - backendRefs:
    - name: nowhere
      port: 80
`)
	if err := os.WriteFile(filepath.Join(dir, "dangling.yaml"), extra, 0o644); err != nil {
		t.Fatal(err)
	}
	bad := []byte("apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: bad\n  namespace: default\nspec:\n  parentRefs:\n  - name: quickstart\n  rules:\n  - matches:\n    - path:\n        type: Exact\n        value: no-slash\n")
	if err := os.WriteFile(filepath.Join(dir, "bad.yaml"), bad, 0o644); err != nil {
		t.Fatal(err)
	}
	// An AuthPolicy that passes the schema but not the compiler: its pattern
	// names a pattern that does not exist.
	policy := []byte(`apiVersion: turnpike.dev/v1alpha1
kind: AuthPolicy
metadata:
  name: broken-auth
  namespace: default
spec:
  targetRef:
    group: gateway.networking.k8s.io
    kind: HTTPRoute
    name: dangling
  rules:
    authentication:
      anyone:
        anonymous: {}
    authorization:
      admins:
        patternMatching:
          patterns:
          - patternRef: no-such-pattern
`)
	if err := os.WriteFile(filepath.Join(dir, "auth.yaml"), policy, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = exec.CommandContext(ctx, turnpikeBin, "standalone", "--check", "--config", dir).CombinedOutput()
	if err == nil {
		t.Fatalf("--check passed a directory with errors:\n%s", out)
	}
	text := string(out)
	for _, want := range []string{"bad.yaml", "spec.rules[0].matches[0].path", "dangling", "BackendNotFound", "default/nowhere",
		"AuthPolicy default/broken-auth", "no-such-pattern"} {
		if !strings.Contains(text, want) {
			t.Errorf("--check output does not mention %q:\n%s", want, text)
		}
	}
}
