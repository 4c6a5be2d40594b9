package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/turnpike-gateway/turnpike/test/internal/harness"
)

// startupTimeout bounds each wait for a child to come up; generous, because the
// machine may be busy with other builds.
const startupTimeout = 60 * time.Second

// proxyProcess is one proxy under measurement.
type proxyProcess struct {
	process *harness.Process
	address string
}

// scenarioTargets are the two proxies serving one scenario, and the request.
type scenarioTargets struct {
	scenario   scenario
	host, path string
	turnpike   proxyProcess
	// nginx is not started when nginxMissing says why it cannot serve the
	// scenario.
	nginx        proxyProcess
	nginxMissing string
}

// headers are what every request of the scenario carries besides Host.
func (t *scenarioTargets) headers() []header {
	if !t.scenario.credential.isSet() {
		return nil
	}
	return []header{t.scenario.credential}
}

// proxyEnvironment is everything the rounds need.
type proxyEnvironment struct {
	layout         cpuLayout
	backend        *harness.Process
	backendAddress string
	targets        []*scenarioTargets
	skipped        []skippedScenario
}

// setup is what starting the environment needs from the run.
type setup struct {
	procs    *harness.Processes
	workDir  string
	turnpike string // the binary
	nginx    string // the binary
	layout   cpuLayout
	log      io.Writer
}

// startProxyEnvironment starts the backend, then Turnpike and nginx for every
// scenario that can run, each checked to answer the scenario's request with the
// backend's body.
func startProxyEnvironment(ctx context.Context, s *setup, scenarios []scenario, skipped []skippedScenario) (*proxyEnvironment, error) {
	env := &proxyEnvironment{layout: s.layout, skipped: skipped}
	ports, err := harness.FreePorts(1)
	if err != nil {
		return nil, err
	}
	env.backendAddress = harness.Loopback(ports[0])
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding the harness binary to start the backend: %w", err)
	}
	env.backend, err = s.procs.StartCommand("backend", pinned(s.layout.backend, self, backendSubcommand, "--listen", env.backendAddress))
	if err != nil {
		return nil, err
	}
	if err := harness.WaitFor(ctx, env.backend, startupTimeout, "backend", statusCheck(env.backendAddress, "", "/", http.StatusOK)); err != nil {
		return nil, err
	}
	for i, sc := range scenarios {
		sc.set.backendPort = ports[0]
		targets, reason, err := startScenario(ctx, s, i, sc)
		if err != nil {
			return nil, fmt.Errorf("scenario %q: %w", sc.name, err)
		}
		if reason != "" {
			env.skipped = append(env.skipped, skippedScenario{name: sc.name, reason: reason})
			continue
		}
		env.targets = append(env.targets, targets)
	}
	return env, nil
}

// startScenario starts Turnpike and nginx on one scenario (Turnpike alone when
// nginx has no equivalent). It returns a reason instead when a feature the
// scenario needs is not usable yet: a loader that rejects the policy, or a policy
// that is accepted but not enforced.
func startScenario(ctx context.Context, s *setup, index int, sc scenario) (targets *scenarioTargets, skipReason string, err error) {
	host, path := sc.set.requestFor(sc.request)
	targets = &scenarioTargets{scenario: sc, host: host, path: path, nginxMissing: nginxUnsupported(sc.set)}
	if targets.nginxMissing == "" {
		fmt.Fprintf(s.log, "load: starting turnpike and nginx for %q\n", sc.name)
	} else {
		fmt.Fprintf(s.log, "load: starting turnpike for %q (nginx has no equivalent)\n", sc.name)
	}
	if sc.rateLimitProbe {
		if reason, err := probeRateLimit(ctx, s, index, sc.set, sc.credential); err != nil || reason != "" {
			return nil, reason, err
		}
	}
	ports, err := harness.FreePorts(3)
	if err != nil {
		return nil, "", err
	}
	sc.set.listenerPort = ports[0]
	configDir := filepath.Join(s.workDir, fmt.Sprintf("scenario-%d-turnpike", index))
	if err := os.Mkdir(configDir, 0o700); err != nil {
		return nil, "", fmt.Errorf("creating the configuration directory: %w", err)
	}
	if err := sc.set.write(configDir); err != nil {
		return nil, "", err
	}
	if problems := checkConfig(ctx, s.turnpike, configDir); problems != "" {
		if sc.set.rateLimit != nil || sc.set.auth != nil {
			return nil, "turnpike standalone --check rejects the configuration:\n" + indent(problems), nil
		}
		return nil, "", fmt.Errorf("turnpike standalone --check rejects the generated configuration:\n%s", problems)
	}
	targets.turnpike, err = startTurnpike(ctx, s, s.layout.proxy, configDir, ports[0], ports[1])
	if err != nil {
		return nil, "", err
	}
	if sc.credential.isSet() {
		reason, err := checkAuthEnforced(ctx, probeWindow, targets.turnpike.address, host, path, sc.credential, sc.wrongCredential)
		switch {
		case err != nil:
			return nil, "", err
		case !targets.turnpike.process.Running():
			return nil, "", targets.turnpike.process.ExitError()
		case reason != "":
			s.procs.Stop(targets.turnpike.process)
			return nil, reason, nil
		}
	} else if err := harness.WaitFor(ctx, targets.turnpike.process, startupTimeout, "the scenario's route",
		statusCheck(targets.turnpike.address, host, path, http.StatusOK)); err != nil {
		return nil, "", err
	}
	if targets.nginxMissing != "" {
		return targets, "", nil
	}
	targets.nginx, err = startNginx(ctx, s, filepath.Join(s.workDir, fmt.Sprintf("scenario-%d-nginx", index)), sc.set, ports[2])
	if err != nil {
		return nil, "", err
	}
	if err := harness.WaitFor(ctx, targets.nginx.process, startupTimeout, "the scenario's location",
		statusCheck(targets.nginx.address, host, path, http.StatusOK, targets.headers()...)); err != nil {
		return nil, "", err
	}
	if sc.credential.isSet() {
		// The nginx side is this harness's own configuration: one that does not
		// enforce the key is a bug here, not a feature that has not landed.
		reason, err := checkAuthEnforced(ctx, probeWindow, targets.nginx.address, host, path, sc.credential, sc.wrongCredential)
		if err != nil {
			return nil, "", err
		}
		if reason != "" {
			return nil, "", fmt.Errorf("the nginx configuration written for %q is not equivalent: %s", sc.name, reason)
		}
	}
	return targets, "", nil
}

// startTurnpike runs `turnpike standalone` on configDir, pinned to cpu, and waits
// for /readyz.
func startTurnpike(ctx context.Context, s *setup, cpu, configDir string, listenerPort, adminPort int) (proxyProcess, error) {
	admin := harness.Loopback(adminPort)
	process, err := s.procs.StartCommand("turnpike", pinned(cpu, s.turnpike, "standalone",
		"--config", configDir, "--admin-address", admin, "--log-level", "error",
		// Like nginx's `access_log off` in its config: both proxies are measured
		// without a per-request log line.
		"--access-log", "off"))
	if err != nil {
		return proxyProcess{}, err
	}
	readyz := "http://" + admin + "/readyz"
	if err := harness.WaitFor(ctx, process, startupTimeout, readyz, harness.HTTPOKCheck(readyz)); err != nil {
		return proxyProcess{}, err
	}
	return proxyProcess{process: process, address: harness.Loopback(listenerPort)}, nil
}

// startNginx writes the scenario's nginx configuration under prefix and runs nginx
// on it in the foreground, pinned to the proxy CPU.
func startNginx(ctx context.Context, s *setup, prefix string, set routeSet, port int) (proxyProcess, error) {
	if err := os.Mkdir(prefix, 0o700); err != nil {
		return proxyProcess{}, fmt.Errorf("creating the nginx prefix: %w", err)
	}
	config := filepath.Join(prefix, "nginx.conf")
	if err := os.WriteFile(config, []byte(nginxConfig(set, port, prefix)), 0o600); err != nil {
		return proxyProcess{}, fmt.Errorf("writing the nginx configuration: %w", err)
	}
	process, err := s.procs.StartCommand("nginx", pinned(s.layout.proxy, s.nginx,
		"-c", config, "-p", prefix, "-e", filepath.Join(prefix, "error.log"), "-g", "daemon off;"))
	if err != nil {
		return proxyProcess{}, err
	}
	address := harness.Loopback(port)
	if err := harness.WaitFor(ctx, process, startupTimeout, "nginx listener", harness.DialCheck(address)); err != nil {
		return proxyProcess{}, err
	}
	return proxyProcess{process: process, address: address}, nil
}

// checkConfig runs `turnpike standalone --check --config dir` and returns what it printed
// when it found problems, "" when the directory is clean.
func checkConfig(ctx context.Context, turnpike, dir string) string {
	ctx, cancel := context.WithTimeout(ctx, startupTimeout)
	defer cancel()
	output, err := exec.CommandContext(ctx, turnpike, "standalone", "--check", "--config", dir).CombinedOutput()
	if err == nil {
		return ""
	}
	return strings.TrimSpace(string(output)) + "\n(" + err.Error() + ")"
}

func indent(text string) string {
	return "    " + strings.ReplaceAll(strings.TrimSpace(text), "\n", "\n    ")
}

func firstLine(text string) string {
	line, _, _ := strings.Cut(text, "\n")
	return line
}

// findNginx looks for the nginx binary on PATH, then where the Debian package puts it.
func findNginx() (string, error) {
	if path, err := exec.LookPath("nginx"); err == nil {
		return path, nil
	}
	for _, path := range []string{"/usr/sbin/nginx", "/usr/local/sbin/nginx"} {
		if info, err := os.Stat(path); err == nil && info.Mode()&0o111 != 0 {
			return path, nil
		}
	}
	return "", fmt.Errorf("nginx not found: run hack/ensure-loadtest-tools.sh (as root) first")
}

// requireTools fails early, with the fix, when wrk or taskset is missing.
func requireTools(pinning bool) error {
	tools := []string{"wrk"}
	if pinning {
		tools = append(tools, "taskset")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s not found: run hack/ensure-loadtest-tools.sh (as root) first", tool)
		}
	}
	return nil
}
