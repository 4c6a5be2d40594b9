package compiler

import (
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	tpv1a1 "github.com/turnpike-gateway/turnpike/api/v1alpha1"
)

// TestCompileIsDeterministic shuffles every input slice of every golden case and
// expects byte-identical output: map iteration and input order must never reach the
// snapshot or the report.
func TestCompileIsDeterministic(t *testing.T) {
	t.Parallel()
	for _, path := range goldenCases(t) {
		t.Run(caseName(path), func(t *testing.T) {
			t.Parallel()
			in := loadInput(t, path)
			snap, report := Compile(in)
			want := string(renderOutput(t, snap, report))
			rng := rand.New(rand.NewPCG(1, uint64(len(path))))
			for round := range 5 {
				shuffled := shuffleInput(rng, in)
				snap, report := Compile(shuffled)
				if diff := cmp.Diff(want, string(renderOutput(t, snap, report))); diff != "" {
					t.Fatalf("round %d: output depends on input order (-first +shuffled):\n%s", round, diff)
				}
			}
		})
	}
}

func shuffleInput(rng *rand.Rand, in Input) Input {
	out := in
	out.GatewayClasses = shuffled(rng, in.GatewayClasses)
	out.Gateways = shuffled(rng, in.Gateways)
	out.HTTPRoutes = shuffled(rng, in.HTTPRoutes)
	out.ReferenceGrants = shuffled(rng, in.ReferenceGrants)
	out.Services = shuffled(rng, in.Services)
	out.EndpointSlices = shuffled(rng, in.EndpointSlices)
	out.Secrets = shuffled(rng, in.Secrets)
	out.Namespaces = shuffled(rng, in.Namespaces)
	out.ConfigMaps = shuffled(rng, in.ConfigMaps)
	out.RateLimitPolicies = shuffled(rng, in.RateLimitPolicies)
	out.AuthPolicies = shuffled(rng, in.AuthPolicies)
	return out
}

func shuffled[T any](rng *rand.Rand, in []T) []T {
	out := append([]T(nil), in...)
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// TestCompileDoesNotModifyInput compiles every golden case and compares each input
// object with a deep copy taken before: the objects are shared with informer caches.
func TestCompileDoesNotModifyInput(t *testing.T) {
	t.Parallel()
	for _, path := range goldenCases(t) {
		t.Run(caseName(path), func(t *testing.T) {
			t.Parallel()
			in := loadInput(t, path)
			before := deepCopyInput(in)
			Compile(in)
			if diff := cmp.Diff(before, in); diff != "" {
				t.Fatalf("Compile modified its input (-before +after):\n%s", diff)
			}
		})
	}
}

func deepCopyInput(in Input) Input {
	out := in
	out.GatewayClasses = deepCopyAll(in.GatewayClasses, (*gwapiv1.GatewayClass).DeepCopy)
	out.Gateways = deepCopyAll(in.Gateways, (*gwapiv1.Gateway).DeepCopy)
	out.HTTPRoutes = deepCopyAll(in.HTTPRoutes, (*gwapiv1.HTTPRoute).DeepCopy)
	out.ReferenceGrants = deepCopyAll(in.ReferenceGrants, (*gwapiv1.ReferenceGrant).DeepCopy)
	out.Services = deepCopyAll(in.Services, (*corev1.Service).DeepCopy)
	out.EndpointSlices = deepCopyAll(in.EndpointSlices, (*discoveryv1.EndpointSlice).DeepCopy)
	out.Secrets = deepCopyAll(in.Secrets, (*corev1.Secret).DeepCopy)
	out.Namespaces = deepCopyAll(in.Namespaces, (*corev1.Namespace).DeepCopy)
	out.ConfigMaps = deepCopyAll(in.ConfigMaps, (*corev1.ConfigMap).DeepCopy)
	out.RateLimitPolicies = deepCopyAll(in.RateLimitPolicies, (*tpv1a1.RateLimitPolicy).DeepCopy)
	out.AuthPolicies = deepCopyAll(in.AuthPolicies, (*tpv1a1.AuthPolicy).DeepCopy)
	return out
}

func deepCopyAll[T any](in []*T, deepCopy func(*T) *T) []*T {
	if in == nil {
		return nil
	}
	out := make([]*T, len(in))
	for i, obj := range in {
		out[i] = deepCopy(obj)
	}
	return out
}

// TestCompileEmptyInput: no objects is a valid configuration with nothing to serve.
func TestCompileEmptyInput(t *testing.T) {
	t.Parallel()
	snap, report := Compile(Input{})
	if snap == nil || len(snap.Listeners) != 0 {
		t.Fatalf("snapshot = %+v, want one with no listeners", snap)
	}
	if report.GatewayClasses == nil || report.Gateways == nil || report.HTTPRoutes == nil {
		t.Fatalf("report maps must be non-nil so that callers can range and index them: %+v", report)
	}
}

// TestCompileSkipsNilObjects: a nil entry in an input slice is ignored, not a panic.
func TestCompileSkipsNilObjects(t *testing.T) {
	t.Parallel()
	in := loadInput(t, "testdata/basic.in.yaml")
	snap, report := Compile(in)
	want := string(renderOutput(t, snap, report))
	in.GatewayClasses = append(in.GatewayClasses, nil)
	in.Gateways = append(in.Gateways, nil)
	in.HTTPRoutes = append(in.HTTPRoutes, nil)
	in.Services = append(in.Services, nil)
	in.EndpointSlices = append(in.EndpointSlices, nil)
	in.ReferenceGrants = append(in.ReferenceGrants, nil)
	in.Namespaces = append(in.Namespaces, nil)
	in.ConfigMaps = append(in.ConfigMaps, nil)
	in.RateLimitPolicies = append(in.RateLimitPolicies, nil)
	in.AuthPolicies = append(in.AuthPolicies, nil)
	snap, report = Compile(in)
	if diff := cmp.Diff(want, string(renderOutput(t, snap, report))); diff != "" {
		t.Fatalf("nil objects changed the output (-want +got):\n%s", diff)
	}
}
