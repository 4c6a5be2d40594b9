package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/turnpike-gateway/turnpike/controllers"
	"github.com/turnpike-gateway/turnpike/controllers/compiler"
	"github.com/turnpike-gateway/turnpike/dataplane/ratelimit"
	dpserver "github.com/turnpike-gateway/turnpike/dataplane/server"
)

// commonFlags are the flags every serving mode has.
type commonFlags struct {
	adminAddress     string
	logLevel         string
	publishAddresses string
	dataplane        dpserver.Options
	// Parsed into dataplane by validate.
	rateLimitHeaders   bool
	rateLimitRedisMode string
	// accessLog is --access-log, opened into dataplane.AccessLog by openAccessLog.
	accessLog string
}

func (c *commonFlags) register(fs *flag.FlagSet, defaultAdmin string) {
	fs.StringVar(&c.adminAddress, "admin-address", defaultAdmin, "address of the admin server (/healthz, /readyz)")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info or error")
	fs.StringVar(&c.publishAddresses, "publish-address", "",
		"comma-separated IPs or hostnames reported in status.addresses of Gateways that set no spec.addresses")
	fs.DurationVar(&c.dataplane.ReadTimeout, "read-timeout", dpserver.DefaultReadTimeout, "longest time to read one client request, body included")
	fs.DurationVar(&c.dataplane.WriteTimeout, "write-timeout", dpserver.DefaultWriteTimeout, "longest time to write one response to a client")
	fs.DurationVar(&c.dataplane.IdleTimeout, "idle-timeout", dpserver.DefaultIdleTimeout, "how long an idle keep-alive client connection stays open")
	fs.IntVar(&c.dataplane.MaxHeaderBytes, "max-header-bytes", dpserver.DefaultMaxHeaderBytes, "largest request line plus headers (431 beyond)")
	fs.IntVar(&c.dataplane.MaxRequestBodyBytes, "max-request-body-bytes", dpserver.DefaultMaxRequestBodyBytes, "largest request body (413 beyond)")
	fs.IntVar(&c.dataplane.MaxConnections, "max-connections", dpserver.DefaultMaxConnections, "most concurrent client connections per listener socket")
	fs.DurationVar(&c.dataplane.DrainTimeout, "drain-timeout", dpserver.DefaultDrainTimeout, "how long shutdown waits for in-flight requests")

	rl := &c.dataplane.RateLimit
	fs.StringVar(&rl.Redis.Address, "rate-limit-redis-address", "",
		"host:port of a Redis through which every replica shares rate-limit counters; empty keeps them in process memory")
	fs.StringVar(&c.rateLimitRedisMode, "rate-limit-redis-failure-mode", string(ratelimit.FailOpen),
		"while Redis is unreachable: open (admit requests, unlimited) or closed (answer 503)")
	fs.DurationVar(&rl.Redis.Timeout, "rate-limit-redis-timeout", ratelimit.DefaultRedisTimeout,
		"longest wait for Redis (connecting, or one check) before a request follows the failure mode")
	fs.IntVar(&rl.MaxCountersPerLimit, "rate-limit-max-counters", ratelimit.DefaultMaxCountersPerLimit,
		"most counters one limit keeps in process memory; past it the least recently used is forgotten")
	fs.BoolVar(&c.rateLimitHeaders, "rate-limit-headers", true,
		"add RateLimit-Policy and RateLimit to admitted responses (refused ones always carry them)")

	fs.StringVar(&c.accessLog, "access-log", "stdout",
		"where to write the JSON access log, one line per request: stdout (the process log goes to stderr), stderr, a file path (appended to), or off")
	fs.Float64Var(&c.dataplane.AccessLog.SampleRate, "access-log-sample-rate", 1,
		"share of requests written to the access log, from 0 to 1")
}

func (c *commonFlags) publishList() []string {
	var out []string
	for _, address := range strings.Split(c.publishAddresses, ",") {
		if address = strings.TrimSpace(address); address != "" {
			out = append(out, address)
		}
	}
	return out
}

func (c *commonFlags) validate() error {
	limits := []struct {
		name  string
		value time.Duration
	}{
		{"--read-timeout", c.dataplane.ReadTimeout}, {"--write-timeout", c.dataplane.WriteTimeout},
		{"--idle-timeout", c.dataplane.IdleTimeout}, {"--drain-timeout", c.dataplane.DrainTimeout},
	}
	for _, limit := range limits {
		if limit.value <= 0 {
			return fmt.Errorf("%s must be positive, not %s", limit.name, limit.value)
		}
	}
	if c.dataplane.MaxHeaderBytes < 1024 {
		return fmt.Errorf("--max-header-bytes must be at least 1024, not %d", c.dataplane.MaxHeaderBytes)
	}
	if c.dataplane.MaxRequestBodyBytes <= 0 || c.dataplane.MaxConnections <= 0 {
		return fmt.Errorf("--max-request-body-bytes and --max-connections must be positive")
	}
	if err := c.validateAccessLog(); err != nil {
		return err
	}
	return c.validateRateLimit()
}

func (c *commonFlags) validateAccessLog() error {
	if c.accessLog == "" {
		return fmt.Errorf("--access-log must be off, stdout, stderr or a file path, not empty")
	}
	if rate := c.dataplane.AccessLog.SampleRate; math.IsNaN(rate) || rate < 0 || rate > 1 {
		return fmt.Errorf("--access-log-sample-rate must be between 0 and 1, not %v", rate)
	}
	return nil
}

// openAccessLog opens the --access-log destination as the data plane's access
// log. The function it returns closes a file once the data plane has stopped
// (the data plane flushes the log as it stops). A sample rate of 0 is the same
// as off.
func (c *commonFlags) openAccessLog() (closeLog func(), err error) {
	var w io.Writer
	closeLog = func() {}
	switch {
	case c.accessLog == "off" || c.dataplane.AccessLog.SampleRate == 0:
		return closeLog, nil
	case c.accessLog == "stdout":
		w = os.Stdout
	case c.accessLog == "stderr":
		w = os.Stderr
	default:
		f, err := os.OpenFile(c.accessLog, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
		if err != nil {
			return nil, fmt.Errorf("--access-log: %w", err)
		}
		w, closeLog = f, func() { _ = f.Close() }
	}
	c.dataplane.AccessLog.Writer = w
	return closeLog, nil
}

// validateRateLimit checks the rate-limit flags and completes the data plane's
// options with them.
func (c *commonFlags) validateRateLimit() error {
	rl := &c.dataplane.RateLimit
	mode, err := ratelimit.ParseFailureMode(c.rateLimitRedisMode)
	if err != nil {
		return fmt.Errorf("--rate-limit-redis-failure-mode: %w", err)
	}
	rl.Redis.FailureMode = mode
	if rl.Redis.Address != "" {
		if _, _, err := net.SplitHostPort(rl.Redis.Address); err != nil {
			return fmt.Errorf("--rate-limit-redis-address must be host:port: %w", err)
		}
	}
	if rl.Redis.Timeout <= 0 {
		return fmt.Errorf("--rate-limit-redis-timeout must be positive, not %s", rl.Redis.Timeout)
	}
	if rl.MaxCountersPerLimit <= 0 {
		return fmt.Errorf("--rate-limit-max-counters must be positive, not %d", rl.MaxCountersPerLimit)
	}
	c.dataplane.OmitRateLimitHeaders = !c.rateLimitHeaders
	return nil
}

// parseFlags parses args into fs and says how to exit when parsing did not succeed.
func parseFlags(fs *flag.FlagSet, args []string) (exitCode int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0, false
		}
		return 2, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "turnpike %s: unexpected arguments %q\n", fs.Name(), fs.Args())
		return 2, false
	}
	return 0, true
}

// gatewayServiceFlags are `turnpike serve`'s flags for per-Gateway Services.
type gatewayServiceFlags struct {
	mode         string
	portRange    string
	podSelector  string
	podNamespace string
}

// Values of --gateway-service-mode.
const (
	gatewayServiceModeNone       = "none"
	gatewayServiceModePerGateway = "perGateway"
)

func (g *gatewayServiceFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&g.mode, "gateway-service-mode", gatewayServiceModeNone,
		"perGateway: the leader gives every Gateway a Service (LoadBalancer unless its GatewayClass's parameters say otherwise) that maps its listener ports onto container ports; none: listeners bind their own ports")
	fs.StringVar(&g.portRange, "gateway-service-port-range", compiler.DefaultPortRange.String(),
		"with perGateway: the container ports listeners bind, FIRST-LAST")
	fs.StringVar(&g.podSelector, "gateway-service-pod-selector", "",
		"with perGateway: labels of Turnpike's pods (k=v,k=v), whose addresses back every Gateway's Service")
	fs.StringVar(&g.podNamespace, "gateway-service-pod-namespace", os.Getenv("POD_NAMESPACE"),
		"with perGateway: namespace of Turnpike's pods ($POD_NAMESPACE by default)")
}

// options checks the flags and returns the per-Gateway Service options, nil in
// mode none. adminAddress is --admin-address, whose port must lie outside the
// range; exclusive lists other flags set that choose the binding instead.
func (g *gatewayServiceFlags) options(adminAddress string, exclusive ...string) (*controllers.GatewayServiceOptions, error) {
	switch g.mode {
	case gatewayServiceModeNone:
		return nil, nil
	case gatewayServiceModePerGateway:
	default:
		return nil, fmt.Errorf("--gateway-service-mode must be %s or %s, not %q", gatewayServiceModePerGateway, gatewayServiceModeNone, g.mode)
	}
	if len(exclusive) > 0 {
		return nil, fmt.Errorf("--gateway-service-mode=%s cannot be combined with %s: a Gateway's address is its Service's",
			g.mode, strings.Join(exclusive, " or "))
	}
	ports, err := compiler.ParsePortRange(g.portRange)
	if err != nil {
		return nil, fmt.Errorf("--gateway-service-port-range: %w", err)
	}
	if _, port, err := net.SplitHostPort(adminAddress); err == nil {
		if n, err := strconv.ParseInt(port, 10, 32); err == nil && ports.Contains(int32(n)) {
			return nil, fmt.Errorf("--gateway-service-port-range %s holds the admin port %d; move one of them", ports, n)
		}
	}
	podLabels, err := labels.ConvertSelectorToLabelsMap(g.podSelector)
	if err != nil || len(podLabels) == 0 {
		return nil, fmt.Errorf("--gateway-service-pod-selector must name the labels of Turnpike's pods, such as app.kubernetes.io/name=turnpike (got %q)", g.podSelector)
	}
	if g.podNamespace == "" {
		return nil, fmt.Errorf("--gateway-service-pod-namespace is required with --gateway-service-mode=%s when $POD_NAMESPACE is not set", g.mode)
	}
	return &controllers.GatewayServiceOptions{Ports: ports, PodNamespace: g.podNamespace, PodLabels: podLabels}, nil
}
