package router

import (
	"regexp"

	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// fakeRequest is a Request backed by plain fields. Values are []byte so that the
// view itself never allocates and allocation tests measure only the router.
type fakeRequest struct {
	method, path, host []byte
	headers            map[string][]byte
	query              []queryArg
}

type queryArg struct {
	name  string
	value []byte
}

func (r *fakeRequest) Method() []byte { return r.method }
func (r *fakeRequest) Path() []byte   { return r.path }
func (r *fakeRequest) Host() []byte   { return r.host }

func (r *fakeRequest) Header(name string) ([]byte, bool) {
	v, ok := r.headers[name]
	return v, ok
}

func (r *fakeRequest) QueryArg(name string) ([]byte, bool) {
	for _, a := range r.query {
		if a.name == name {
			return a.value, true
		}
	}
	return nil, false
}

// req builds a GET request; options adjust it.
func req(host, path string, opts ...func(*fakeRequest)) *fakeRequest {
	r := &fakeRequest{method: []byte("GET"), path: []byte(path), host: []byte(host), headers: map[string][]byte{}}
	for _, o := range opts {
		o(r)
	}
	return r
}

func withMethod(m string) func(*fakeRequest) {
	return func(r *fakeRequest) { r.method = []byte(m) }
}

func withHeader(name, value string) func(*fakeRequest) {
	return func(r *fakeRequest) { r.headers[name] = []byte(value) }
}

func withQuery(name, value string) func(*fakeRequest) {
	return func(r *fakeRequest) { r.query = append(r.query, queryArg{name: name, value: []byte(value)}) }
}

func exact(id, path string) *snapshot.Route {
	return &snapshot.Route{ID: id, Path: snapshot.PathMatch{Type: snapshot.PathExact, Value: path}}
}

func prefix(id, path string) *snapshot.Route {
	return &snapshot.Route{ID: id, Path: snapshot.PathMatch{Type: snapshot.PathPrefix, Value: path}}
}

func regex(id, expr string) *snapshot.Route {
	return &snapshot.Route{ID: id, Path: snapshot.PathMatch{
		Type: snapshot.PathRegularExpression, Value: expr, Regex: regexp.MustCompile("^(?:" + expr + ")$"),
	}}
}

func vhost(hostname string, routes ...*snapshot.Route) *snapshot.VirtualHost {
	return &snapshot.VirtualHost{Hostname: hostname, Routes: routes}
}

func glistener(name, hostname string, vhosts ...*snapshot.VirtualHost) *snapshot.GatewayListener {
	return &snapshot.GatewayListener{Gateway: "ns/gw", Name: name, Hostname: hostname, VirtualHosts: vhosts}
}

// socketKey is the Key of the one listener oneSocket builds.
const socketKey = "127.0.0.1:8080"

func oneSocket(gls ...*snapshot.GatewayListener) *snapshot.Snapshot {
	return &snapshot.Snapshot{Listeners: []*snapshot.Listener{{
		Address: "127.0.0.1", Port: 8080, Protocol: snapshot.ProtocolHTTP, GatewayListeners: gls,
	}}}
}

// routeID names the matched route, "" for none, so that diffs are readable.
func routeID(r *snapshot.Route) string {
	if r == nil {
		return ""
	}
	return r.ID
}

func listenerName(gl *snapshot.GatewayListener) string {
	if gl == nil {
		return ""
	}
	return gl.Name
}
