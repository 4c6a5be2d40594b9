package main

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

func TestRunBackendFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want int
	}{
		{name: "no --listen", args: nil, want: 2},
		{name: "extra argument", args: []string{"--listen", "127.0.0.1:1", "extra"}, want: 2},
		{name: "unknown flag", args: []string{"--port", "1"}, want: 2},
		{name: "non-loopback address", args: []string{"--listen", "0.0.0.0:0"}, want: 1},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			if got := runBackend(test.args, io.Discard); got != test.want {
				t.Errorf("runBackend(%q) = %d, want %d", test.args, got, test.want)
			}
		})
	}
}

func TestStatusCheck(t *testing.T) {
	t.Parallel()
	// Answers like a proxy would: the backend's body for app.example.com, a 429 on
	// /limited, a 404 for any other host.
	server := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		switch {
		case string(ctx.Path()) == "/limited":
			ctx.SetStatusCode(http.StatusTooManyRequests)
		case string(ctx.Path()) == "/private" && string(ctx.Request.Header.Peek("Authorization")) != "APIKEY k-1":
			ctx.SetStatusCode(http.StatusUnauthorized)
		case string(ctx.Host()) == "app.example.com":
			ctx.SetBody(backendBody)
		case string(ctx.Host()) == "wrong.example.com":
			ctx.SetBodyString("not the backend")
		default:
			ctx.SetStatusCode(http.StatusNotFound)
		}
	}}
	listener, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	address := listener.Addr().String()
	go server.Serve(listener) //nolint:errcheck // ends with Shutdown below
	defer server.Shutdown()

	tests := []struct {
		name, host, path string
		headers          []header
		status           int
		wantErr          string
	}{
		{name: "a credential is sent", host: "app.example.com", path: "/private", headers: []header{apiKeyHeader("k-1")}, status: http.StatusOK},
		{name: "no credential", host: "app.example.com", path: "/private", status: http.StatusUnauthorized},
		{name: "a wrong credential is named, not shown", host: "app.example.com", path: "/private", headers: []header{apiKeyHeader("k-2")},
			status: http.StatusOK, wantErr: `(Host "app.example.com", with Authorization) answered 401`},
		{name: "the backend's body through the route's host", host: "app.example.com", path: "/", status: http.StatusOK},
		{name: "a 200 with another body is not the backend", host: "wrong.example.com", path: "/", status: http.StatusOK, wantErr: "not the backend"},
		{name: "another host", host: "other.example.com", path: "/", status: http.StatusOK, wantErr: "404"},
		{name: "the status asked for", host: "app.example.com", path: "/limited", status: http.StatusTooManyRequests},
		{name: "the URL's host when none is given", path: "/", status: http.StatusNotFound},
	}
	for _, test := range tests {
		err := statusCheck(address, test.host, test.path, test.status, test.headers...)()
		if test.wantErr == "" {
			if err != nil {
				t.Errorf("%s: %v", test.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), test.wantErr) {
			t.Errorf("%s: statusCheck = %v, want an error containing %q", test.name, err, test.wantErr)
		}
		for _, h := range test.headers {
			if err != nil && strings.Contains(err.Error(), h.value) {
				t.Errorf("%s: the error %q repeats the credential", test.name, err)
			}
		}
	}
}
