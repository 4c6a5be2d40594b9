package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/turnpike-gateway/turnpike/test/internal/harness"
)

// probeWindow bounds each enforcement probe: long enough for Turnpike to fetch a
// key set from the loopback issuer on a busy machine; a probe that passes returns
// at once.
const probeWindow = 15 * time.Second

// probeRateLimit serves a copy of set whose limit is 0 and expects a 429 for a
// request with credential (needed when set has an AuthPolicy, which decides
// before the limit counts): the RateLimitPolicy is then both accepted and
// enforced. It returns why not otherwise.
func probeRateLimit(ctx context.Context, s *setup, index int, set routeSet, credential header) (skipReason string, err error) {
	zero := int64(0)
	set.rateLimit = &zero
	ports, err := harness.FreePorts(2)
	if err != nil {
		return "", err
	}
	set.listenerPort = ports[0]
	dir := filepath.Join(s.workDir, fmt.Sprintf("scenario-%d-probe", index))
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating the probe configuration directory: %w", err)
	}
	if err := set.write(dir); err != nil {
		return "", err
	}
	if problems := checkConfig(ctx, s.turnpike, dir); problems != "" {
		return "turnpike standalone --check rejects a RateLimitPolicy:\n" + indent(problems), nil
	}
	probe, err := startTurnpike(ctx, s, "", dir, ports[0], ports[1])
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "turnpike does not serve a configuration with a RateLimitPolicy:\n" + indent(err.Error()), nil
	}
	defer s.procs.Stop(probe.process)
	host, path := set.requestFor(0)
	return checkRateLimited(ctx, probeWindow, probe.address, host, path, credential)
}

// checkRateLimited expects a 429 from address for a request with credential (if
// set), where a limit of 0 is served. /readyz is 200 by then, so the policy's
// snapshot is live and the first answer should already be a 429; polling for up
// to window covers a limiter that starts lazily and, with a JWT, the key set
// being fetched (503 until then).
func checkRateLimited(ctx context.Context, window time.Duration, address, host, path string, credential header) (skipReason string, err error) {
	var headers []header
	if credential.isSet() {
		headers = append(headers, credential)
	}
	if err := pollUntil(ctx, window, statusCheck(address, host, path, http.StatusTooManyRequests, headers...)); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "the RateLimitPolicy is accepted but not enforced: with a limit of 0, " + err.Error(), nil
	}
	return "", nil
}

// checkAuthEnforced proves that the AuthPolicy served at address decides: the
// request with the valid credential gets the backend's 200 (polled for up to
// window: a JWT policy answers 503 until its key set is fetched), and the same
// request without a credential, or with the wrong one, gets a 401. It returns why
// not otherwise: a policy that is accepted but not enforced would make the
// scenario measure plain proxying.
func checkAuthEnforced(ctx context.Context, window time.Duration, address, host, path string, valid, wrong header) (skipReason string, err error) {
	if err := pollUntil(ctx, window, statusCheck(address, host, path, http.StatusOK, valid)); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "a request with the valid credential is not let through: " + err.Error(), nil
	}
	for _, refused := range []struct {
		what    string
		headers []header
	}{
		{"without a credential", nil},
		{"with a wrong credential", []header{wrong}},
	} {
		if err := statusCheck(address, host, path, http.StatusUnauthorized, refused.headers...)(); err != nil {
			return fmt.Sprintf("the AuthPolicy is accepted but not enforced: %s, %v", refused.what, err), nil
		}
	}
	return "", nil
}

// pollUntil runs check every 20ms until it succeeds, ctx ends or window passes,
// and returns the last failure (ctx's error once it has ended).
func pollUntil(ctx context.Context, window time.Duration, check func() error) error {
	deadline := time.Now().Add(window)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := check()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		if sleepErr := harness.Sleep(ctx, 20*time.Millisecond); sleepErr != nil {
			return sleepErr
		}
	}
}
