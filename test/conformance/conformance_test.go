//go:build conformance

package conformance

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"testing"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/gateway-api/conformance"
	"sigs.k8s.io/gateway-api/conformance/utils/suite"
)

// Defaults of this harness; every one can be overridden with the suite's own
// flag of the same name (-gateway-class, -conformance-profiles, -report-output,
// -organization, -project, -url, -version, -contact, -usable-address,
// -unusable-address), and -run-test runs one test.
const (
	gatewayClass = "turnpike"
	reportPath   = "reports/v1.6.3-turnpike-report.yaml"
	// usableAddress is in the harness's Gateway address pool (10.250.0.0/16,
	// routed locally); unusableAddress is routed nowhere in its network
	// namespace, so it cannot be bound.
	usableAddress   = "10.250.255.250"
	unusableAddress = "10.251.0.1"
)

func TestConformance(t *testing.T) {
	opts := conformance.DefaultOptions(t)
	explicit := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	if !explicit["gateway-class"] {
		opts.GatewayClassName = gatewayClass
	}
	if !explicit["conformance-profiles"] {
		opts.ConformanceProfiles = []suite.ConformanceProfileName{suite.GatewayHTTPConformanceProfileName}
	}
	// One test is a debugging run: it leaves the committed report alone.
	if !explicit["report-output"] && !explicit["run-test"] {
		opts.ReportOutputPath = reportPath
	}
	implementation := &opts.Implementation
	setDefault(&implementation.Organization, explicit["organization"], "turnpike-gateway")
	setDefault(&implementation.Project, explicit["project"], "turnpike")
	setDefault(&implementation.URL, explicit["url"], "https://github.com/turnpike-gateway/turnpike")
	setDefault(&implementation.Version, explicit["version"], os.Getenv("TURNPIKE_VERSION"))
	setDefault(&implementation.Version, explicit["version"], "dev")
	if !explicit["contact"] {
		implementation.Contact = []string{"https://github.com/turnpike-gateway/turnpike/issues"}
	}
	if !explicit["usable-address"] {
		opts.UsableNetworkAddresses = []gwapiv1.GatewaySpecAddress{ipAddress(usableAddress)}
	}
	if !explicit["unusable-address"] {
		opts.UnusableNetworkAddresses = []gwapiv1.GatewaySpecAddress{ipAddress(unusableAddress)}
	}
	// Results of parallel tests reach -v output only when the whole suite ends;
	// this line is written as each test ends, so that an interrupted run still
	// says what passed (hack/conformance.sh summarises these lines).
	opts.Hook = func(t *testing.T, test suite.ConformanceTest, _ *suite.ConformanceTestSuite) {
		result := "PASS"
		switch {
		case t.Skipped():
			return
		case t.Failed():
			result = "FAIL"
		}
		fmt.Fprintf(os.Stderr, "conformance result: %s %s\n", result, test.ShortName)
	}
	conformance.RunConformanceWithOptions(t, opts)
}

func setDefault(field *string, explicit bool, value string) {
	if !explicit && *field == "" {
		*field = value
	}
}

func ipAddress(value string) gwapiv1.GatewaySpecAddress {
	addressType := gwapiv1.IPAddressType
	return gwapiv1.GatewaySpecAddress{Type: &addressType, Value: netip.MustParseAddr(value).String()}
}
