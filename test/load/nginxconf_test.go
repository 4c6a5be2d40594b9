package main

import (
	"fmt"
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// directive is one nginx directive, with its block's directives if it has one.
type directive struct {
	name     string
	args     []string
	children []*directive
}

// parseNginx reads the subset of nginx's syntax the generator writes: directives
// ending in ';', blocks in braces, '#' comments, double-quoted arguments.
func parseNginx(t *testing.T, config string) []*directive {
	t.Helper()
	var tokens []string
	for line := range strings.Lines(config) {
		if comment := strings.IndexByte(line, '#'); comment >= 0 {
			line = line[:comment]
		}
		for field := range strings.FieldsSeq(strings.NewReplacer(";", " ; ", "{", " { ", "}", " } ").Replace(line)) {
			tokens = append(tokens, field)
		}
	}
	root := &directive{}
	stack := []*directive{root}
	var words []string
	for _, token := range tokens {
		parent := stack[len(stack)-1]
		switch token {
		case ";":
			parent.children = append(parent.children, &directive{name: words[0], args: words[1:]})
			words = nil
		case "{":
			block := &directive{name: words[0], args: words[1:]}
			parent.children = append(parent.children, block)
			stack = append(stack, block)
			words = nil
		case "}":
			if len(stack) == 1 || len(words) > 0 {
				t.Fatalf("unbalanced '}' or a directive without ';' in:\n%s", config)
			}
			stack = stack[:len(stack)-1]
		default:
			words = append(words, token)
		}
	}
	if len(stack) != 1 || len(words) > 0 {
		t.Fatalf("unclosed block or directive in:\n%s", config)
	}
	return root.children
}

// all returns the directives called name among ds.
func all(ds []*directive, name string) []*directive {
	var found []*directive
	for _, d := range ds {
		if d.name == name {
			found = append(found, d)
		}
	}
	return found
}

// one returns the only directive called name among ds.
func one(t *testing.T, ds []*directive, name string) *directive {
	t.Helper()
	found := all(ds, name)
	if len(found) != 1 {
		t.Fatalf("%d %q directives, want 1", len(found), name)
	}
	return found[0]
}

func args(d *directive) string { return strings.Join(d.args, " ") }

func TestNginxConfigIsAnEquivalentProxy(t *testing.T) {
	t.Parallel()
	limit := int64(5000)
	const prefix, listenPort, backendPort = "/tmp/turnpike-load-x/nginx-0", 18081, 19090
	tests := []struct {
		name string
		set  routeSet
		// wantLocations maps server_name ("" for the catch-all) to its locations.
		wantLocations map[string][]string
	}{
		{
			name:          "one route matches everything",
			set:           routeSet{routes: 1},
			wantLocations: map[string][]string{"": {"/"}},
		},
		{
			name: "routes by host and path, a 404 for other hosts",
			set:  routeSet{routes: 3, hostnames: true},
			wantLocations: map[string][]string{
				"":                  nil,
				"app-0.example.com": {"= /api/0", "/api/0/"},
				"app-1.example.com": {"= /api/1", "/api/1/"},
				"app-2.example.com": {"= /api/2", "/api/2/"},
			},
		},
		{
			name:          "rate limited",
			set:           routeSet{routes: 1, rateLimit: &limit},
			wantLocations: map[string][]string{"": {"/"}},
		},
		{
			name:          "an API key",
			set:           routeSet{routes: 1, auth: &routeAuth{apiKey: "k-Valid_09"}},
			wantLocations: map[string][]string{"": {"/"}},
		},
		{
			name: "an API key on the first of several routes",
			set:  routeSet{routes: 2, hostnames: true, auth: &routeAuth{apiKey: "k-Valid_09"}},
			wantLocations: map[string][]string{
				"":                  nil,
				"app-0.example.com": {"= /api/0", "/api/0/"},
				"app-1.example.com": {"= /api/1", "/api/1/"},
			},
		},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			set := test.set
			set.backendPort = backendPort
			top := parseNginx(t, nginxConfig(set, listenPort, prefix))
			for name, want := range map[string]string{"master_process": "off", "worker_processes": "1",
				"pid": filepath.Join(prefix, "nginx.pid"), "error_log": filepath.Join(prefix, "error.log") + " error"} {
				if got := args(one(t, top, name)); got != want {
					t.Errorf("%s %s, want %s", name, got, want)
				}
			}
			http := one(t, top, "http").children
			for name, want := range map[string]string{"access_log": "off", "proxy_http_version": "1.1",
				"keepalive_requests": "1000000000", "proxy_temp_path": filepath.Join(prefix, "proxy")} {
				if got := args(one(t, http, name)); got != want {
					t.Errorf("http %s %s, want %s", name, got, want)
				}
			}
			headers := map[string]string{}
			for _, header := range all(http, "proxy_set_header") {
				headers[header.args[0]] = strings.Join(header.args[1:], " ")
			}
			wantHeaders := map[string]string{"Connection": `""`, "Host": "$http_host", "X-Forwarded-For": "$proxy_add_x_forwarded_for",
				"X-Forwarded-Proto": "$scheme", "X-Forwarded-Host": "$http_host"}
			if diff := cmp.Diff(wantHeaders, headers); diff != "" {
				t.Errorf("proxy_set_header (-want +got):\n%s", diff)
			}

			upstreams := all(http, "upstream")
			if len(upstreams) != set.routes {
				t.Fatalf("%d upstreams, want one per Service: %d", len(upstreams), set.routes)
			}
			for i, upstream := range upstreams {
				if upstream.args[0] != serviceName(i) || args(one(t, upstream.children, "server")) != fmt.Sprintf("127.0.0.1:%d", backendPort) ||
					args(one(t, upstream.children, "keepalive")) != "64" {
					t.Errorf("upstream %d: %s %+v, want %s to the backend with keepalive 64", i, args(upstream), upstream.children, serviceName(i))
				}
			}

			gotLocations := map[string][]string{}
			for _, server := range all(http, "server") {
				listen := args(one(t, server.children, "listen"))
				if !strings.HasPrefix(listen, fmt.Sprintf("127.0.0.1:%d", listenPort)) {
					t.Errorf("server listens on %q, want 127.0.0.1:%d", listen, listenPort)
				}
				serverName := ""
				if names := all(server.children, "server_name"); len(names) == 1 {
					serverName = args(names[0])
				}
				gotLocations[serverName] = nil
				for _, location := range all(server.children, "location") {
					gotLocations[serverName] = append(gotLocations[serverName], args(location))
					wantUpstream := "http://" + serviceName(0)
					if serverName != "" {
						wantUpstream = "http://" + serviceName(routeIndex(t, serverName))
					}
					if got := args(one(t, location.children, "proxy_pass")); got != wantUpstream {
						t.Errorf("location %s of %q proxies to %s, want %s", args(location), serverName, got, wantUpstream)
					}
					limits := all(location.children, "limit_req")
					limited := len(limits) == 1
					if wantArgs := fmt.Sprintf("zone=%s burst=%d nodelay", rateLimitName, limit); limited && args(limits[0]) != wantArgs {
						t.Errorf("limit_req %s, want %s", args(limits[0]), wantArgs)
					}
					firstRoute := serverName == "" || serverName == routeHost(0)
					if wantLimited := set.rateLimit != nil && firstRoute; limited != wantLimited {
						t.Errorf("location %s of %q rate-limited: %v, want %v", args(location), serverName, limited, wantLimited)
					}
					checkAPIKey(t, location, set.auth != nil && firstRoute, set.auth, wantHeaders)
				}
				if serverName == "" && set.hostnames && args(one(t, server.children, "return")) != "404" {
					t.Errorf("the catch-all server does not answer 404")
				}
			}
			if diff := cmp.Diff(test.wantLocations, gotLocations); diff != "" {
				t.Errorf("server_name -> locations (-want +got):\n%s", diff)
			}

			zones := all(http, "limit_req_zone")
			if set.rateLimit == nil {
				if len(zones) != 0 {
					t.Errorf("limit_req_zone without a rate limit: %v", zones)
				}
				return
			}
			if got, want := args(one(t, http, "limit_req_zone")), fmt.Sprintf(`"all" zone=%s:1m rate=%dr/s`, rateLimitName, limit); got != want {
				t.Errorf("limit_req_zone %s, want %s", got, want)
			}
		})
	}
}

// checkAPIKey checks that location refuses requests without the API key of auth
// with a 401 and removes the key before the backend (keeping the other headers)
// when guarded, and has neither when not.
func checkAPIKey(t *testing.T, location *directive, guarded bool, auth *routeAuth, wantHeaders map[string]string) {
	t.Helper()
	ifs, setHeaders := all(location.children, "if"), all(location.children, "proxy_set_header")
	if !guarded {
		if len(ifs) != 0 || len(setHeaders) != 0 {
			t.Errorf("location %s: %d if and %d proxy_set_header, want none without an AuthPolicy", args(location), len(ifs), len(setHeaders))
		}
		return
	}
	if len(ifs) != 1 {
		t.Fatalf("location %s: %d if blocks, want the API-key check", args(location), len(ifs))
	}
	if got, want := args(ifs[0]), fmt.Sprintf(`($http_authorization != "APIKEY %s")`, auth.apiKey); got != want {
		t.Errorf("location %s: if %s, want if %s", args(location), got, want)
	}
	if got := args(one(t, ifs[0].children, "return")); got != "401" || len(ifs[0].children) != 1 {
		t.Errorf("location %s: the API-key check does %+v, want return 401 only", args(location), ifs[0].children)
	}
	headers := map[string]string{}
	for _, header := range setHeaders {
		headers[header.args[0]] = strings.Join(header.args[1:], " ")
	}
	want := maps.Clone(wantHeaders)
	want["Authorization"] = `""`
	if diff := cmp.Diff(want, headers); diff != "" {
		t.Errorf("location %s: proxy_set_header (-want +got):\n%s", args(location), diff)
	}
}

func TestNginxUnsupported(t *testing.T) {
	t.Parallel()
	limit := int64(1)
	tests := []struct {
		set  routeSet
		want string
	}{
		{set: routeSet{routes: 1}},
		{set: routeSet{routes: 1, rateLimit: &limit}},
		{set: routeSet{routes: 1, auth: &routeAuth{apiKey: "k"}}},
		{set: routeSet{routes: 1, auth: &routeAuth{issuerURL: "http://127.0.0.1:9"}}, want: "NGINX Plus"},
		{set: routeSet{routes: 1, auth: &routeAuth{issuerURL: "http://127.0.0.1:9"}, rateLimit: &limit}, want: "NGINX Plus"},
	}
	for _, test := range tests {
		got := nginxUnsupported(test.set)
		if (test.want == "") != (got == "") || !strings.Contains(got, test.want) {
			t.Errorf("nginxUnsupported(%+v) = %q, want %q", test.set, got, test.want)
		}
	}
}

// routeIndex reads i back from routeHost(i).
func routeIndex(t *testing.T, host string) int {
	t.Helper()
	var i int
	if _, err := fmt.Sscanf(host, "app-%d.example.com", &i); err != nil {
		t.Fatalf("server_name %q is no route's host: %v", host, err)
	}
	return i
}
