package filter

import (
	"bufio"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/valyala/fasthttp"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

func ctxFromRaw(t *testing.T, raw string) *fasthttp.RequestCtx {
	t.Helper()
	var req fasthttp.Request
	if err := req.Read(bufio.NewReader(strings.NewReader(raw))); err != nil {
		t.Fatalf("parsing request: %v", err)
	}
	var ctx fasthttp.RequestCtx
	ctx.Init(&req, nil, nil)
	return &ctx
}

// headerValues returns every value of each named header, in order.
func headerValues(ctx *fasthttp.RequestCtx, names ...string) map[string][]string {
	out := map[string][]string{}
	for _, name := range names {
		for _, v := range ctx.Request.Header.PeekAll(name) {
			out[name] = append(out[name], string(v))
		}
	}
	return out
}

func TestRequestHeaderModifier(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		modifier snapshot.HeaderModifier
		request  string
		want     map[string][]string
	}{
		{
			name:     "set adds a missing header",
			modifier: snapshot.HeaderModifier{Set: []snapshot.Header{{Name: "X-Header-Set", Value: "set-overwrites-values"}}},
			request:  "GET /set HTTP/1.1\r\nHost: a\r\nSome-Other-Header: val\r\n\r\n",
			want:     map[string][]string{"X-Header-Set": {"set-overwrites-values"}, "Some-Other-Header": {"val"}},
		},
		{
			name:     "set replaces every value, whatever the case of the name",
			modifier: snapshot.HeaderModifier{Set: []snapshot.Header{{Name: "X-Header-Set", Value: "new"}}},
			request:  "GET / HTTP/1.1\r\nHost: a\r\nx-header-set: one\r\nX-HEADER-SET: two\r\n\r\n",
			want:     map[string][]string{"X-Header-Set": {"new"}},
		},
		{
			name:     "add appends to existing values",
			modifier: snapshot.HeaderModifier{Add: []snapshot.Header{{Name: "X-Header-Add", Value: "add-appends-values"}}},
			request:  "GET / HTTP/1.1\r\nHost: a\r\nx-header-add: some-other-value\r\n\r\n",
			want:     map[string][]string{"X-Header-Add": {"some-other-value", "add-appends-values"}},
		},
		{
			name:     "remove deletes every value",
			modifier: snapshot.HeaderModifier{Remove: []string{"X-Header-Remove"}},
			request:  "GET / HTTP/1.1\r\nHost: a\r\nx-header-remove: a\r\nX-Header-Remove: b\r\nKeep: me\r\n\r\n",
			want:     map[string][]string{"Keep": {"me"}},
		},
		{
			name: "set, then add, then remove",
			modifier: snapshot.HeaderModifier{
				Set:    []snapshot.Header{{Name: "X-A", Value: "set"}},
				Add:    []snapshot.Header{{Name: "X-A", Value: "added"}, {Name: "X-B", Value: "b"}},
				Remove: []string{"X-B"},
			},
			request: "GET / HTTP/1.1\r\nHost: a\r\nX-A: original\r\n\r\n",
			want:    map[string][]string{"X-A": {"set", "added"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			chain, err := Build([]snapshot.Filter{{Type: snapshot.FilterRequestHeaderModifier, RequestHeaderModifier: &tc.modifier}})
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			ctx := ctxFromRaw(t, tc.request)
			if !chain.Apply(ctx) {
				t.Fatal("the header modifier stopped the chain")
			}
			got := headerValues(ctx, "X-Header-Set", "X-Header-Add", "X-Header-Remove", "Some-Other-Header", "Keep", "X-A", "X-B")
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("headers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuildRejectsWhatItCannotApply(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		filter snapshot.Filter
	}{
		{"unknown type", snapshot.Filter{Type: "ExtensionRef"}},
		{"modifier without settings", snapshot.Filter{Type: snapshot.FilterRequestHeaderModifier}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Build([]snapshot.Filter{tc.filter}); err == nil {
				t.Error("Build accepted a filter it cannot apply")
			}
		})
	}
	if _, err := Build([]snapshot.Filter{{Type: "ExtensionRef"}}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("unknown type error = %v, want ErrUnsupported", err)
	}
}

func TestChainApplyDoesNotAllocate(t *testing.T) {
	chain, err := Build([]snapshot.Filter{{Type: snapshot.FilterRequestHeaderModifier, RequestHeaderModifier: &snapshot.HeaderModifier{
		Set:    []snapshot.Header{{Name: "X-Set", Value: "v"}},
		Add:    []snapshot.Header{{Name: "X-Add", Value: "v"}},
		Remove: []string{"X-Remove"},
	}}})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	ctx := ctxFromRaw(t, "GET / HTTP/1.1\r\nHost: a\r\nX-Remove: x\r\n\r\n")
	allocs := testing.AllocsPerRun(1000, func() {
		chain.Apply(ctx)
		ctx.Request.Header.Del("X-Add") // keep the header from growing run after run
	})
	if allocs != 0 {
		t.Errorf("Apply allocates %.1f times per request, want 0", allocs)
	}
}
