package compiler

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/types"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/gateway-api/pkg/features"
)

func snapKey(namespace, name string) types.NamespacedName {
	return types.NamespacedName{Namespace: namespace, Name: name}
}

func TestIntersectHostnames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		listener string
		route    []string
		want     []string
	}{
		{"", nil, []string{""}},
		{"a.example.com", nil, []string{"a.example.com"}},
		{"*.example.com", nil, []string{"*.example.com"}},
		{"", []string{"a.example.com", "*.example.org"}, []string{"a.example.com", "*.example.org"}},
		{"a.example.com", []string{"a.example.com"}, []string{"a.example.com"}},
		{"a.example.com", []string{"b.example.com"}, nil},
		{"a.example.com", []string{"*.example.com"}, []string{"a.example.com"}},
		{"a.b.example.com", []string{"*.example.com"}, []string{"a.b.example.com"}},
		{"example.com", []string{"*.example.com"}, nil},
		{"*.example.com", []string{"a.example.com", "a.b.example.com", "example.com", "a.example.org"},
			[]string{"a.example.com", "a.b.example.com"}},
		{"*.example.com", []string{"*.example.com"}, []string{"*.example.com"}},
		{"*.example.com", []string{"*.a.example.com"}, []string{"*.a.example.com"}},
		{"*.a.example.com", []string{"*.example.com"}, []string{"*.a.example.com"}},
		{"*.example.com", []string{"*.com", "*.example.com"}, []string{"*.example.com"}},
		{"*.example.com", []string{"*.example.org"}, nil},
		// "*.ample.com" must not match "example.com" by plain suffix.
		{"*.ample.com", []string{"example.com", "x.example.com"}, nil},
	}
	for _, tt := range tests {
		got := intersectHostnames(tt.listener, tt.route)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("intersectHostnames(%q, %q) (-want +got):\n%s", tt.listener, tt.route, diff)
		}
	}
}

func TestCompareHostnameSpecificity(t *testing.T) {
	t.Parallel()
	got := []string{"", "*.example.com", "b.example.com", "*.a.example.com", "a.example.com", "*.com", "*.longer-name.com"}
	slices.SortFunc(got, compareHostnameSpecificity)
	want := []string{"a.example.com", "b.example.com", "*.a.example.com", "*.longer-name.com", "*.example.com", "*.com", ""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

// TestSupportedFeaturesAreKnown checks the plain feature names against gateway-api's
// own list (which the compiler itself may not import): a misspelt name would make the
// conformance suite skip or run the wrong tests.
func TestSupportedFeaturesAreKnown(t *testing.T) {
	t.Parallel()
	known := map[gwapiv1.FeatureName]features.FeatureChannel{}
	for _, f := range features.AllFeatures.UnsortedList() {
		known[gwapiv1.FeatureName(f.Name)] = f.Channel
	}
	for _, name := range supportedFeatures {
		channel, ok := known[name]
		if !ok {
			t.Errorf("feature %q is not a gateway-api feature", name)
		} else if channel != features.FeatureChannelStandard {
			t.Errorf("feature %q is in channel %q; Turnpike follows the standard channel", name, channel)
		}
	}
	if !slices.IsSorted(supportedFeatures) {
		t.Errorf("supportedFeatures must be sorted: %v", supportedFeatures)
	}
}

func TestAnchoredRegexp(t *testing.T) {
	t.Parallel()
	re, err := anchoredRegexp("/a|/b")
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]bool{"/a": true, "/b": true, "/a/x": false, "/x/b": false, "x/a": false} {
		if got := re.MatchString(path); got != want {
			t.Errorf("%q matches %q = %v, want %v (alternation must be anchored as a whole)", re, path, got, want)
		}
	}
	if _, err := anchoredRegexp("(unclosed"); err == nil {
		t.Error("an invalid expression must fail")
	}
}
