package argocd

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// caughtUpCases are objects a user edits after Turnpike wrote their status: Argo CD
// must say Progressing until Turnpike has compiled the new generation, then Healthy
// again, from the status the writer merges into what is stored.
var caughtUpCases = []struct {
	name    string // the sample of the final object
	object  string // "Kind/name" in testdata/cluster.in.yaml
	healthy string // the health message once Turnpike caught up
}{
	{name: "caught-up-gateway", object: "Gateway/ready", healthy: "1 of 1 listeners are served."},
	{name: "caught-up-httproute", object: "HTTPRoute/web", healthy: "The route is accepted by Gateway default/ready."},
	{name: "caught-up-ratelimitpolicy", object: "RateLimitPolicy/web-limit", healthy: "RateLimitPolicy is enforced."},
	{name: "caught-up-authpolicy", object: "AuthPolicy/web-auth", healthy: "AuthPolicy is enforced."},
}

func TestHealthFollowsTurnpikeThroughAnEdit(t *testing.T) {
	t.Parallel()
	scripts := loadScripts(t)
	firstWrite := statusTime
	secondWrite := metav1.NewTime(statusTime.Add(time.Hour))
	for _, tc := range caughtUpCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := loadCluster(clusterPath)
			if err != nil {
				t.Fatal(err)
			}
			stored := findObject(t, turnpikeWrites(c, firstWrite, c.objects...), tc.object)

			// The user's edit reaches the API server; Turnpike has not compiled it yet.
			stored.SetGeneration(2)
			checkHealth(t, scripts, stored, health{Status: "Progressing"})

			// Turnpike compiles the new generation and the leader merges its report
			// into the stored object.
			findObject(t, c.objects, tc.object).SetGeneration(2)
			caughtUp := turnpikeWrites(c, secondWrite, stored)[0]
			got := checkHealth(t, scripts, caughtUp, health{Status: "Healthy", Message: tc.healthy})
			checkSample(t, tc.name, got)
			// Nothing changed but the generation, so every condition keeps the time
			// of its first transition.
			times := transitionTimes(got)
			if len(times) == 0 {
				t.Fatal("no condition has a lastTransitionTime")
			}
			for _, at := range times {
				if want := firstWrite.UTC().Format(time.RFC3339); at != want {
					t.Errorf("lastTransitionTime %s after a recompile that changed no condition, want %s", at, want)
				}
			}
		})
	}
}

func findObject(t testing.TB, objs []client.Object, kindAndName string) client.Object {
	t.Helper()
	kind, name, _ := strings.Cut(kindAndName, "/")
	for _, obj := range objs {
		if obj.GetObjectKind().GroupVersionKind().Kind == kind && obj.GetName() == name {
			return obj
		}
	}
	t.Fatalf("%s not found", kindAndName)
	return nil
}

// checkHealth runs the object's health check and compares the status, and the
// message when want has one. It returns the object as the script saw it.
func checkHealth(t testing.TB, scripts map[string]string, obj client.Object, want health) map[string]any {
	t.Helper()
	objects, err := byKindAndName([]client.Object{obj})
	if err != nil {
		t.Fatal(err)
	}
	var u map[string]any
	for _, only := range objects {
		u = only
	}
	got, err := runHealth(scriptFor(t, scripts, u), u)
	if err != nil {
		t.Fatal(err)
	}
	if want.Message == "" {
		got.Message = ""
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("health of %s at generation %d (-want +got):\n%s", obj.GetName(), obj.GetGeneration(), diff)
	}
	return u
}

// transitionTimes collects every lastTransitionTime in an unstructured object.
func transitionTimes(value any) []string {
	var times []string
	switch typed := value.(type) {
	case map[string]any:
		for _, key := range sortedKeys(typed) {
			if key == "lastTransitionTime" {
				times = append(times, typed[key].(string))
				continue
			}
			times = append(times, transitionTimes(typed[key])...)
		}
	case []any:
		for _, item := range typed {
			times = append(times, transitionTimes(item)...)
		}
	}
	return times
}

// TestEverySampleBelongsToACase keeps testdata/samples free of files no test
// produces any more, which would mislead a reviewer.
func TestEverySampleBelongsToACase(t *testing.T) {
	t.Parallel()
	known := map[string]bool{}
	for _, tc := range healthCases {
		known[tc.name] = true
	}
	for _, tc := range authPolicyCases {
		known[tc.name] = true
	}
	for _, tc := range caughtUpCases {
		known[tc.name] = true
	}
	if len(known) != len(healthCases)+len(authPolicyCases)+len(caughtUpCases) {
		t.Errorf("two cases share a sample name")
	}
	paths, err := filepath.Glob(filepath.Join(samplesDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range paths {
		if name := strings.TrimSuffix(filepath.Base(path), ".json"); !known[name] {
			t.Errorf("%s belongs to no case; delete it", path)
		}
	}
}
