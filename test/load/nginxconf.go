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
    proxy_set_header Connection "";
    proxy_set_header Host $http_host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header X-Forwarded-Host $http_host;
`, prefix, path("error.log"), path("nginx.pid"), path("client_body"), path("proxy"), path("fastcgi"), path("uwsgi"), path("scgi"))
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
		writeLocation(&out, "/", serviceName(0), set.rateLimit)
		out.WriteString("    }\n}\n")
		return out.String()
	}
	// Requests for no route's hostname get a 404, as from Turnpike.
	fmt.Fprintf(&out, "\n    server {\n        listen 127.0.0.1:%d default_server;\n        return 404;\n    }\n", listenPort)
	for i := range set.routes {
		fmt.Fprintf(&out, "\n    server {\n        listen 127.0.0.1:%d;\n        server_name %s;\n", listenPort, routeHost(i))
		var limit *int64
		if i == 0 {
			limit = set.rateLimit
		}
		writeLocation(&out, "= "+routePath(i), serviceName(i), limit)
		writeLocation(&out, routePath(i)+"/", serviceName(i), limit)
		out.WriteString("    }\n")
	}
	out.WriteString("}\n")
	return out.String()
}

// writeLocation writes one location that proxies to upstream, rate-limited when
// limit is set.
func writeLocation(out *strings.Builder, match, upstream string, limit *int64) {
	fmt.Fprintf(out, "        location %s {\n", match)
	if limit != nil {
		fmt.Fprintf(out, "            limit_req zone=%s burst=%d nodelay;\n", rateLimitName, *limit)
	}
	fmt.Fprintf(out, "            proxy_pass http://%s;\n        }\n", upstream)
}
