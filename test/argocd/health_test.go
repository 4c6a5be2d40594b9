package argocd

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/runtime"
)

// healthCase is one object Turnpike wrote status on, optionally changed the way the
// world changes it afterwards, and what Argo CD must say about it.
type healthCase struct {
	// name is also the sample's file name in testdata/samples.
	name string
	// object is "Kind/name" in testdata/cluster.in.yaml.
	object string
	// edit, when set, changes the object after Turnpike wrote its status: a user's
	// edit Turnpike has not processed yet, or (said in the comment of each case) a
	// status Turnpike cannot produce yet, built by hand from one it did produce.
	edit func(t testing.TB, obj map[string]any)
	want health
}

func newGeneration(t testing.TB, obj map[string]any) {
	setPath(obj, int64(2), "metadata", "generation")
}

func beingDeleted(t testing.TB, obj map[string]any) {
	setPath(obj, "2026-01-02T00:00:00Z", "metadata", "deletionTimestamp")
}

func noStatus(t testing.TB, obj map[string]any) { delete(obj, "status") }

var healthCases = []healthCase{
	// Gateways.
	{
		name:   "gateway-accepted-programmed",
		object: "Gateway/ready",
		want:   health{Status: "Healthy", Message: "1 of 1 listeners are served."},
	},
	{
		name:   "gateway-listener-without-certificate",
		object: "Gateway/mixed",
		want: health{Status: "Degraded",
			Message: `Listener "https": Secret default/cert does not exist. The listener has no usable certificate, so it is not served.`},
	},
	{
		name:   "gateway-no-valid-listener",
		object: "Gateway/unsupported",
		want: health{Status: "Degraded",
			Message: `No listener is valid ("dns"); see the listener conditions. ` +
				`Listener "dns": Protocol UDP is not supported yet; Turnpike serves HTTP and HTTPS listeners only.`},
	},
	{
		name:   "gateway-many-listeners-not-served",
		object: "Gateway/crowded",
		want: health{Status: "Degraded", Message: `Listener "db-a": Protocol TCP is not supported yet; Turnpike serves HTTP and HTTPS listeners only. ` +
			`Listener "db-b": Protocol TCP is not supported yet; Turnpike serves HTTP and HTTPS listeners only. ` +
			`Listener "db-c": Protocol TCP is not supported yet; Turnpike serves HTTP and HTTPS listeners only. ` +
			`And 1 more listener.`},
	},
	{
		name:   "gateway-address-cannot-be-bound",
		object: "Gateway/unbindable",
		want: health{Status: "Degraded",
			Message: "No listener is served: address :8085 cannot be bound: listen tcp :8085: bind: address already in use."},
	},
	{
		name:   "gateway-generation-ahead",
		object: "Gateway/ready",
		edit:   newGeneration,
		want: health{Status: "Progressing",
			Message: "Waiting for the controller to process generation 2; the status describes generation 1."},
	},
	{
		// Before any controller writes status (the Gateway API CRD's default status
		// is covered by the Unknown case below).
		name:   "gateway-no-status",
		object: "Gateway/ready",
		edit:   noStatus,
		want:   health{Status: "Progressing", Message: "Waiting for the Gateway's controller to report Accepted and Programmed."},
	},
	{
		// By hand: the Gateway API CRD's default status, before any controller runs.
		name:   "gateway-default-status",
		object: "Gateway/ready",
		edit: func(t testing.TB, obj map[string]any) {
			conditions := conditionsAt(t, obj, "status", "conditions")
			setCondition(t, conditions, "Accepted", "Unknown", "Pending", "Waiting for controller")
			setCondition(t, conditions, "Programmed", "Unknown", "Pending", "Waiting for controller")
		},
		want: health{Status: "Progressing", Message: "Waiting for the Gateway's controller to report Accepted and Programmed."},
	},
	{
		// By hand: in a cluster, Programmed waits for the Service's address.
		name:   "gateway-address-pending",
		object: "Gateway/ready",
		edit: func(t testing.TB, obj map[string]any) {
			setCondition(t, conditionsAt(t, obj, "status", "conditions"), "Programmed", "False", "AddressNotAssigned",
				"Service default/ready has no load-balancer address yet.")
		},
		want: health{Status: "Progressing", Message: "Service default/ready has no load-balancer address yet."},
	},
	{
		// By hand: a listener still being programmed while the Gateway serves others.
		name:   "gateway-listener-pending",
		object: "Gateway/mixed",
		edit: func(t testing.TB, obj map[string]any) {
			// The https listener gets the http listener's conditions, then
			// Programmed=False Pending.
			http, https := listenerNamed(t, obj, "http"), listenerNamed(t, obj, "https")
			https["conditions"] = runtime.DeepCopyJSONValue(http["conditions"])
			setCondition(t, https["conditions"].([]any), "Programmed", "False", "Pending",
				"Waiting for the certificate to be loaded.")
		},
		want: health{Status: "Progressing", Message: `Listener "https": Waiting for the certificate to be loaded.`},
	},
	{
		name:   "gateway-being-deleted",
		object: "Gateway/ready",
		edit:   beingDeleted,
		want:   health{Status: "Progressing", Message: "The Gateway is being deleted."},
	},

	// HTTPRoutes.
	{
		name:   "httproute-accepted",
		object: "HTTPRoute/web",
		want:   health{Status: "Healthy", Message: "The route is accepted by Gateway default/ready."},
	},
	{
		name:   "httproute-backend-not-found",
		object: "HTTPRoute/missing-backend",
		want:   health{Status: "Degraded", Message: "Gateway default/ready: Backend Service default/nope does not exist."},
	},
	{
		name:   "httproute-accepted-by-two-parents",
		object: "HTTPRoute/two-parents",
		want:   health{Status: "Healthy", Message: "All 2 parents served by Turnpike accept the route."},
	},
	{
		name:   "httproute-many-parents-missing-backend",
		object: "HTTPRoute/many-missing",
		want: health{Status: "Degraded", Message: "Gateway default/ready: Backend Service default/gone does not exist. " +
			"Gateway default/mixed: Backend Service default/gone does not exist. " +
			"Gateway default/locked: Backend Service default/gone does not exist. " +
			"And 1 more parent."},
	},
	{
		name:   "httproute-not-allowed-by-listeners",
		object: "HTTPRoute/not-allowed",
		want: health{Status: "Degraded",
			Message: `Gateway default/unsupported: No listener of Gateway default/unsupported allows this route: listener "dns" is not accepted.`},
	},
	{
		// The other controller's ResolvedRefs=False entry is not ours to judge.
		name:   "httproute-other-controller-entry-ignored",
		object: "HTTPRoute/shared",
		want:   health{Status: "Healthy", Message: "The route is accepted by Gateway default/ready."},
	},
	{
		name:   "httproute-only-other-controller",
		object: "HTTPRoute/foreign",
		want: health{Status: "Healthy",
			Message: "No parent of this route is served by turnpike.dev/gateway-controller; other controllers' status is not judged here."},
	},
	{
		name:   "httproute-no-parent-reported",
		object: "HTTPRoute/orphan",
		want: health{Status: "Progressing",
			Message: "No Gateway controller has reported on this route yet; check that its parentRefs name existing Gateways."},
	},
	{
		name:   "httproute-generation-ahead",
		object: "HTTPRoute/web",
		edit:   newGeneration,
		want: health{Status: "Progressing",
			Message: "Waiting for Turnpike to process generation 2 for Gateway default/ready; the status describes generation 1."},
	},

	// RateLimitPolicies.
	{
		name:   "ratelimitpolicy-enforced",
		object: "RateLimitPolicy/web-limit",
		want:   health{Status: "Healthy", Message: "RateLimitPolicy is enforced."},
	},
	{
		name:   "ratelimitpolicy-invalid-cel",
		object: "RateLimitPolicy/bad-cel",
		want: health{Status: "Degraded", Message: "RateLimitPolicy is invalid: " +
			`spec.limits["per-key"].counters[0].expression: expression "request.headers['x-api-key'" does not compile: ` +
			"ERROR: <input>:1:28: Syntax error: missing ']' at '<EOF>'\n" +
			" | request.headers['x-api-key'\n" +
			" | ...........................^."},
	},
	{
		name:   "ratelimitpolicy-target-not-found",
		object: "RateLimitPolicy/missing-target",
		want:   health{Status: "Degraded", Message: "HTTPRoute default/nope does not exist."},
	},
	{
		name:   "ratelimitpolicy-overridden",
		object: "RateLimitPolicy/api-limit",
		want:   health{Status: "Healthy", Message: "RateLimitPolicy is overridden by [default/ceiling]."},
	},
	{
		name:   "ratelimitpolicy-no-served-route",
		object: "RateLimitPolicy/idle",
		want: health{Status: "Healthy",
			Message: "RateLimitPolicy applies to no route that is served: Gateway default/quiet has no route attached to a served listener."},
	},
	{
		name:   "ratelimitpolicy-generation-ahead",
		object: "RateLimitPolicy/web-limit",
		edit:   newGeneration,
		want: health{Status: "Progressing",
			Message: "Waiting for Turnpike to process generation 2; the status describes generation 1."},
	},
	{
		name:   "ratelimitpolicy-no-status",
		object: "RateLimitPolicy/web-limit",
		edit:   noStatus,
		want:   health{Status: "Progressing", Message: "Waiting for Turnpike to report on the RateLimitPolicy."},
	},
}

// TestHealthOfTurnpikeStatus runs each object's health check, as Argo CD would pick
// it, on the status Turnpike wrote.
func TestHealthOfTurnpikeStatus(t *testing.T) {
	t.Parallel()
	runHealthCases(t, healthCases)
}

func runHealthCases(t *testing.T, cases []healthCase) {
	t.Helper()
	scripts := loadScripts(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			obj := sampleOf(t, tc.object)
			if tc.edit != nil {
				tc.edit(t, obj)
			}
			checkSample(t, tc.name, obj)
			got, err := runHealth(scriptFor(t, scripts, obj), obj)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("health of %s (-want +got):\n%s", tc.object, diff)
			}
		})
	}
}
