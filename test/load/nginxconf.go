package main

import (
	"fmt"
	"path/filepath"
	"strings"
)

// nginxConfig is the nginx configuration equivalent to the Turnpike configuration
// set describes, listening on 127.0.0.1:listenPort, with every path it writes under
// prefix (the run's temporary directory for this nginx).
//
// Equivalent means: the same matching (an exact server_name per route hostname and
// a prefix location per path prefix, element-wise as in Gateway API: "/api/7" and
// "/api/7/..." but not "/api/70"), one upstream per Service with the backend's
// endpoint, the same request headers towards the backend (Host kept,
// X-Forwarded-For/-Proto/-Host set, as Turnpike does) and the same connection
// handling (HTTP/1.1 keep-alive both ways, no request limit per connection). What
// nginx does by default that Turnpike does not (an access log, closing a client
// connection after 1,000 requests) is turned off, so that each does the same work.
//
// An API-key AuthPolicy becomes a comparison of the Authorization header with the
// one valid "APIKEY <key>" (a 401 otherwise) and the header removed before the
// backend, as Turnpike does. A JWT AuthPolicy has no equivalent: see
// nginxUnsupported, which callers check first.
func nginxConfig(set routeSet, listenPort int, prefix string) string {
	var out strings.Builder
	path := func(name string) string { return filepath.Join(prefix, name) }
	fmt.Fprintf(&out, `# Written by test/load for one scenario; nginx runs as a child of the harness:
#   nginx -c THIS -p %[1]s -e %[2]s -g 'daemon off;'
# One process serves: master_process off runs the very event loop a worker would
# (worker_processes 1), without a master that could outlive the harness. The
# kernel kills the process when the harness dies, and its CPU time is one
# /proc/PID/stat away.
master_process off;
worker_processes 1;
pid %[3]s;
error_log %[2]s error;

events {
    worker_connections 4096;
}

http {
    access_log off;
    client_body_temp_path %[4]s;
    proxy_temp_path %[5]s;
    fastcgi_temp_path %[6]s;
    uwsgi_temp_path %[7]s;
    scgi_temp_path %[8]s;

    keepalive_timeout 120s;
    keepalive_requests 1000000000;
    server_names_hash_max_size 65536;
    server_names_hash_bucket_size 128;

    proxy_http_version 1.1;
`, prefix, path("error.log"), path("nginx.pid"), path("client_body"), path("proxy"), path("fastcgi"), path("uwsgi"), path("scgi"))
	writeProxyHeaders(&out, "    ", false)
	if set.rateLimit != nil {
		// One counter for every request, as a policy without counters. nginx
		// counts in milliseconds and, without a burst, refuses a second request
		// within the same millisecond whatever the rate: the burst makes the limit
		// mean "per second" as the policy's does, and nodelay never queues.
		fmt.Fprintf(&out, "\n    limit_req_zone \"all\" zone=%s:1m rate=%dr/s;\n", rateLimitName, *set.rateLimit)
	}
	for i := range set.routes {
		fmt.Fprintf(&out, `
    upstream %s {
        server 127.0.0.1:%d;
        keepalive 64;
        keepalive_requests 1000000000;
    }
`, serviceName(i), set.backendPort)
	}
	if !set.hostnames {
		fmt.Fprintf(&out, "\n    server {\n        listen 127.0.0.1:%d;\n", listenPort)
		writeLocation(&out, "/", serviceName(0), set.rateLimit, set.auth)
		out.WriteString("    }\n}\n")
		return out.String()
	}
	// Requests for no route's hostname get a 404, as from Turnpike.
	fmt.Fprintf(&out, "\n    server {\n        listen 127.0.0.1:%d default_server;\n        return 404;\n    }\n", listenPort)
	for i := range set.routes {
		fmt.Fprintf(&out, "\n    server {\n        listen 127.0.0.1:%d;\n        server_name %s;\n", listenPort, routeHost(i))
		var limit *int64
		var auth *routeAuth
		if i == 0 {
			limit, auth = set.rateLimit, set.auth
		}
		writeLocation(&out, "= "+routePath(i), serviceName(i), limit, auth)
		writeLocation(&out, routePath(i)+"/", serviceName(i), limit, auth)
		out.WriteString("    }\n")
	}
	out.WriteString("}\n")
	return out.String()
}

// nginxUnsupported says why nginx cannot serve an equivalent of set, "" when it
// can.
func nginxUnsupported(set routeSet) string {
	if set.auth != nil && set.auth.issuerURL != "" {
		return "open-source nginx cannot validate a JWT (its auth_jwt module is part of the commercial NGINX Plus); " +
			"Turnpike's figure is compared with its own one-route figure instead"
	}
	return ""
}

// proxyHeaders are the request headers both proxies set towards the backend.
var proxyHeaders = [][2]string{
	{"Connection", `""`},
	{"Host", "$http_host"},
	{"X-Forwarded-For", "$proxy_add_x_forwarded_for"},
	{"X-Forwarded-Proto", "$scheme"},
	{"X-Forwarded-Host", "$http_host"},
}

// writeProxyHeaders writes proxyHeaders, and with stripAuthorization an empty
// Authorization (nginx then does not send the header at all).
func writeProxyHeaders(out *strings.Builder, indent string, stripAuthorization bool) {
	for _, h := range proxyHeaders {
		fmt.Fprintf(out, "%sproxy_set_header %s %s;\n", indent, h[0], h[1])
	}
	if stripAuthorization {
		fmt.Fprintf(out, "%sproxy_set_header Authorization \"\";\n", indent)
	}
}

// writeLocation writes one location that proxies to upstream, rate-limited when
// limit is set, and open only to the API key of auth when set.
func writeLocation(out *strings.Builder, match, upstream string, limit *int64, auth *routeAuth) {
	fmt.Fprintf(out, "        location %s {\n", match)
	if auth != nil && auth.apiKey != "" {
		// An exact comparison: "if" with "return" only is safe in a location, and
		// runs in the rewrite phase, before limit_req, as Turnpike authenticates
		// before it counts. proxy_set_header on this level replaces the inherited
		// list, hence all of it again with the credential removed.
		fmt.Fprintf(out, "            if ($http_authorization != \"APIKEY %s\") {\n                return 401;\n            }\n", auth.apiKey)
		writeProxyHeaders(out, "            ", true)
	}
	if limit != nil {
		fmt.Fprintf(out, "            limit_req zone=%s burst=%d nodelay;\n", rateLimitName, *limit)
	}
	fmt.Fprintf(out, "            proxy_pass http://%s;\n        }\n", upstream)
}
