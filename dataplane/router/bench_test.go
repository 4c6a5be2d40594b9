package router

import (
	"fmt"
	"testing"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// benchmarkTable builds n routes spread over virtual hosts of ten routes each,
// half exact and half prefix paths, and a request that matches the very last route
// by host and path: the worst case for a linear scan.
func benchmarkTable(n int) (*Table, *fakeRequest) {
	const routesPerHost = 10
	var vhosts []*snapshot.VirtualHost
	var lastHost, lastPath string
	for i := 0; i < n; i += routesPerHost {
		host := fmt.Sprintf("svc%d.example.com", i/routesPerHost)
		vh := vhost(host)
		for j := i; j < i+routesPerHost && j < n; j++ {
			path := fmt.Sprintf("/api/v%d/items%d", j%7, j)
			if j%2 == 0 {
				vh.Routes = append(vh.Routes, exact(fmt.Sprint(j), path))
			} else {
				vh.Routes = append(vh.Routes, prefix(fmt.Sprint(j), path))
			}
			lastHost, lastPath = host, path
		}
		vhosts = append(vhosts, vh)
	}
	table := New(oneSocket(glistener("l", "", vhosts...)))
	return table, req(lastHost, lastPath+"/detail/42")
}

func BenchmarkMatch(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprintf("routes=%d", n), func(b *testing.B) {
			table, r := benchmarkTable(n)
			if route, _ := table.Match(socketKey, r); route == nil || route.ID != fmt.Sprint(n-1) {
				b.Fatalf("benchmark request matched %q, want the last route %d", routeID(route), n-1)
			}
			b.ReportAllocs()
			for b.Loop() {
				table.Match(socketKey, r)
			}
		})
	}
}

// BenchmarkMatchOneHost puts every route in one virtual host, so that only the
// path index keeps the cost flat.
func BenchmarkMatchOneHost(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprintf("routes=%d", n), func(b *testing.B) {
			routes := make([]*snapshot.Route, n)
			for i := range routes {
				routes[i] = prefix(fmt.Sprint(i), fmt.Sprintf("/tenant%d/api", i))
			}
			table := New(oneSocket(glistener("l", "", vhost("", routes...))))
			r := req("example.com", fmt.Sprintf("/tenant%d/api/items/7", n-1))
			if route, _ := table.Match(socketKey, r); routeID(route) != fmt.Sprint(n-1) {
				b.Fatalf("benchmark request matched %q, want %d", routeID(route), n-1)
			}
			b.ReportAllocs()
			for b.Loop() {
				table.Match(socketKey, r)
			}
		})
	}
}
