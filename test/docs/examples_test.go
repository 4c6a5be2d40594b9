package docs

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/turnpike-gateway/turnpike/controllers/compiler"
	"github.com/turnpike-gateway/turnpike/controllers/standalone"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

var (
	examplesDir = filepath.Join("..", "..", "examples", "ratelimit")
	docPath     = filepath.Join("..", "..", "docs", "ratelimitpolicy.md")
)

// compileExample loads an example directory as `turnpike standalone --config DIR`
// does and compiles it; any load error fails the test.
func compileExample(t *testing.T, dir string) (*snapshot.Snapshot, compiler.Report) {
	t.Helper()
	in, errs := standalone.NewSource(dir, logr.Discard()).Reload()
	for _, err := range errs {
		t.Errorf("load error: %v", err)
	}
	in.ControllerName = compiler.ControllerName
	return compiler.Compile(in)
}

// servedLimit is what a test expects of one rate limit on a route.
type servedLimit struct {
	Limit    string // "policy/name"
	Rates    string // "5/10s"
	Counters []string
	When     []string
}

// limitsByRoute describes the limits of every snapshot route by "route/rule index",
// and fails if two matches of one rule disagree.
func limitsByRoute(t *testing.T, snap *snapshot.Snapshot) map[string][]servedLimit {
	t.Helper()
	out := map[string][]servedLimit{}
	for _, socket := range snap.Listeners {
		for _, gl := range socket.GatewayListeners {
			for _, vh := range gl.VirtualHosts {
				for _, route := range vh.Routes {
					key := fmt.Sprintf("%s/%d", route.RouteName, route.RuleIndex)
					var limits []servedLimit
					for _, l := range route.RateLimits {
						limits = append(limits, describeLimit(l))
					}
					if previous, seen := out[key]; seen && !cmp.Equal(previous, limits) {
						t.Errorf("matches of %s have different limits: %v and %v", key, previous, limits)
					}
					out[key] = limits
				}
			}
		}
	}
	return out
}

func describeLimit(l *snapshot.RateLimit) servedLimit {
	var rates []string
	for _, rate := range l.Rates {
		rates = append(rates, fmt.Sprintf("%d/%s", rate.Limit, rate.Window))
	}
	d := servedLimit{Limit: l.Policy + "/" + l.Name, Rates: strings.Join(rates, ",")}
	for _, expr := range l.Counters {
		d.Counters = append(d.Counters, expr.Source)
	}
	for _, expr := range l.When {
		d.When = append(d.When, expr.Source)
	}
	return d
}

func TestRateLimitExamples(t *testing.T) {
	t.Parallel()
	const noKey, hasKey = "request.headers['x-api-key'] == ''", "request.headers['x-api-key'] != ''"
	perClient := func(policy string, limit int, window time.Duration) servedLimit {
		return servedLimit{Limit: policy, Rates: fmt.Sprintf("%d/%s", limit, window), Counters: []string{"source.address"}}
	}
	tests := []struct {
		example string
		// limits by "route/rule index"; routes not listed must have none.
		limits map[string][]servedLimit
		// the Enforced reason of each policy (all must be Accepted).
		enforced map[string]string
	}{
		{
			example: "per-api-key",
			limits: map[string][]servedLimit{"api/0": {
				{Limit: "default/per-api-key/anonymous", Rates: "2/10s", When: []string{noKey}},
				{Limit: "default/per-api-key/per-api-key", Rates: "5/10s", Counters: []string{"request.headers['x-api-key']"}, When: []string{hasKey}},
			}},
			enforced: map[string]string{"per-api-key": "Enforced"},
		},
		{
			example: "per-client-ip",
			limits: map[string][]servedLimit{"site/0": {
				{Limit: "default/per-client-ip/per-client-ip", Rates: "3/1s,20/1m0s", Counters: []string{"source.address"}},
			}},
			enforced: map[string]string{"per-client-ip": "Enforced"},
		},
		{
			example: "per-route-rule",
			limits: map[string][]servedLimit{
				"shop/0": nil, // browse
				"shop/1": {{Limit: "default/checkout/checkouts", Rates: "2/10s", Counters: []string{"source.address"},
					When: []string{"request.method == 'POST'"}}},
			},
			enforced: map[string]string{"checkout": "Enforced"},
		},
		{
			example: "gateway-default-route-override",
			limits: map[string][]servedLimit{
				"public/0":  {perClient("default/gateway-default/per-client", 10, 10*time.Second)},
				"partner/0": {{Limit: "default/partner/per-partner-key", Rates: "100/10s", Counters: []string{"request.headers['x-api-key']"}}},
			},
			enforced: map[string]string{"gateway-default": "Enforced", "partner": "Enforced"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.example, func(t *testing.T) {
			t.Parallel()
			snap, report := compileExample(t, filepath.Join(examplesDir, tt.example))
			got := limitsByRoute(t, snap)
			for route := range tt.limits {
				if _, served := got[route]; !served {
					t.Errorf("route %s is not served", route)
				}
			}
			for route, limits := range got {
				if diff := cmp.Diff(tt.limits[route], limits); diff != "" {
					t.Errorf("limits of %s (-want +got):\n%s", route, diff)
				}
			}
			if len(report.RateLimitPolicies) != len(tt.enforced) {
				t.Errorf("%d policies in the report, want %d", len(report.RateLimitPolicies), len(tt.enforced))
			}
			for name, reason := range tt.enforced {
				result := report.RateLimitPolicies[types.NamespacedName{Namespace: "default", Name: name}]
				if result == nil {
					t.Errorf("policy %s is not in the report", name)
					continue
				}
				if err := hasCondition(result.Conditions, "Accepted", "Accepted"); err != nil {
					t.Errorf("policy %s: %v", name, err)
				}
				if err := hasCondition(result.Conditions, "Enforced", reason); err != nil {
					t.Errorf("policy %s: %v", name, err)
				}
			}
			for key, gw := range report.Gateways {
				if err := hasCondition(gw.Conditions, "Programmed", "Programmed"); err != nil {
					t.Errorf("Gateway %s: %v", key, err)
				}
			}
		})
	}
}

// The Gateway default of the override example tells its reader which route policy
// replaces it, as the example's comment promises.
func TestGatewayDefaultNamesTheRoutePolicyThatOverridesIt(t *testing.T) {
	t.Parallel()
	_, report := compileExample(t, filepath.Join(examplesDir, "gateway-default-route-override"))
	result := report.RateLimitPolicies[types.NamespacedName{Namespace: "default", Name: "gateway-default"}]
	if result == nil {
		t.Fatal("no report for gateway-default")
	}
	for _, c := range result.Conditions {
		if c.Type == "Enforced" && !strings.Contains(c.Message, "overridden by [default/partner]") {
			t.Errorf("Enforced message %q does not name default/partner", c.Message)
		}
	}
}

// documentedKinds are the policy pages, the examples each links, and the kind
// its YAML blocks show.
var documentedKinds = []struct {
	page, examples, examplesLink, kind string
	loaded                             func(in compiler.Input) int
}{
	{docPath, examplesDir, "../examples/ratelimit/", "RateLimitPolicy", func(in compiler.Input) int { return len(in.RateLimitPolicies) }},
	{filepath.Join("..", "..", "docs", "authpolicy.md"), authExamplesDir, "../examples/auth/", "AuthPolicy", func(in compiler.Input) int { return len(in.AuthPolicies) }},
}

// TestExamplesAreDocumented: every example directory is linked from its page, and
// every link to an example points at a file that exists.
func TestExamplesAreDocumented(t *testing.T) {
	t.Parallel()
	for _, doc := range documentedKinds {
		page, err := os.ReadFile(doc.page)
		if err != nil {
			t.Fatal(err)
		}
		entries, err := os.ReadDir(doc.examples)
		if err != nil {
			t.Fatal(err)
		}
		for _, entry := range entries {
			if entry.IsDir() && !strings.Contains(string(page), doc.examplesLink+entry.Name()+"/") {
				t.Errorf("example %s is not linked from %s", entry.Name(), doc.page)
			}
		}
		for _, link := range regexp.MustCompile(`\]\((\.\./examples/[^)#]+)\)`).FindAllStringSubmatch(string(page), -1) {
			if _, err := os.Stat(filepath.Join(filepath.Dir(doc.page), link[1])); err != nil {
				t.Errorf("%s: link %s: %v", doc.page, link[1], err)
			}
		}
	}
}

// TestDocumentedPoliciesAreValid: every policy in the pages' YAML blocks passes
// the same validation `kubectl apply` and standalone mode run.
func TestDocumentedPoliciesAreValid(t *testing.T) {
	t.Parallel()
	for _, doc := range documentedKinds {
		page, err := os.ReadFile(doc.page)
		if err != nil {
			t.Fatal(err)
		}
		blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(page), -1)
		found := 0
		for i, block := range blocks {
			if !strings.Contains(block[1], "kind: "+doc.kind) {
				continue
			}
			found++
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("block-%d.yaml", i)), []byte(block[1]), 0o644); err != nil {
				t.Fatal(err)
			}
			in, errs := standalone.NewSource(dir, logr.Discard()).Reload()
			for _, err := range errs {
				t.Errorf("%s YAML block %d: %v", doc.page, i, err)
			}
			if len(errs) == 0 && doc.loaded(in) != 1 {
				t.Errorf("%s YAML block %d: loaded %d %ss, want 1", doc.page, i, doc.loaded(in), doc.kind)
			}
		}
		if found == 0 {
			t.Errorf("no %s YAML block in %s", doc.kind, doc.page)
		}
	}
}

func hasCondition(conditions []metav1.Condition, conditionType, reason string) error {
	for _, c := range conditions {
		if c.Type == conditionType {
			if c.Reason != reason {
				return fmt.Errorf("%s is %s/%s (%q), want reason %s", conditionType, c.Status, c.Reason, c.Message, reason)
			}
			return nil
		}
	}
	return fmt.Errorf("no %s condition in %+v", conditionType, conditions)
}
