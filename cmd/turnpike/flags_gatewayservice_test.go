package main

import (
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/turnpike-gateway/turnpike/controllers"
	"github.com/turnpike-gateway/turnpike/controllers/compiler"
)

func TestGatewayServiceFlags(t *testing.T) {
	t.Parallel()
	selector := []string{"--gateway-service-pod-selector", "app.kubernetes.io/name=turnpike,app.kubernetes.io/instance=edge",
		"--gateway-service-pod-namespace", "turnpike-system"}
	tests := []struct {
		name      string
		args      []string
		admin     string
		exclusive []string
		want      *controllers.GatewayServiceOptions
		errorHas  string
	}{
		{name: "off by default", want: nil},
		{name: "per Gateway, default range",
			args: append([]string{"--gateway-service-mode", "perGateway"}, selector...),
			want: &controllers.GatewayServiceOptions{Ports: compiler.DefaultPortRange, PodNamespace: "turnpike-system",
				PodLabels: map[string]string{"app.kubernetes.io/name": "turnpike", "app.kubernetes.io/instance": "edge"}}},
		{name: "per Gateway, own range",
			args: append([]string{"--gateway-service-mode=perGateway", "--gateway-service-port-range=30000-30010"}, selector...),
			want: &controllers.GatewayServiceOptions{Ports: compiler.PortRange{First: 30000, Last: 30010}, PodNamespace: "turnpike-system",
				PodLabels: map[string]string{"app.kubernetes.io/name": "turnpike", "app.kubernetes.io/instance": "edge"}}},
		{name: "unknown mode", args: []string{"--gateway-service-mode=perClass"}, errorHas: "--gateway-service-mode must be"},
		{name: "no selector", args: []string{"--gateway-service-mode=perGateway", "--gateway-service-pod-namespace=x"},
			errorHas: "--gateway-service-pod-selector"},
		{name: "no namespace", args: []string{"--gateway-service-mode=perGateway", "--gateway-service-pod-selector=a=b",
			"--gateway-service-pod-namespace="}, errorHas: "--gateway-service-pod-namespace is required"},
		{name: "privileged range", args: append([]string{"--gateway-service-mode=perGateway", "--gateway-service-port-range=80-90"}, selector...),
			errorHas: "--gateway-service-port-range"},
		{name: "admin port in the range", args: append([]string{"--gateway-service-mode=perGateway"}, selector...), admin: ":10001",
			errorHas: "holds the admin port 10001"},
		{name: "with an address pool", args: append([]string{"--gateway-service-mode=perGateway"}, selector...),
			exclusive: []string{"--gateway-address-pool"}, errorHas: "cannot be combined with --gateway-address-pool"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			var g gatewayServiceFlags
			g.register(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatalf("parse: %v", err)
			}
			admin := tt.admin
			if admin == "" {
				admin = ":9901"
			}
			got, err := g.options(admin, tt.exclusive...)
			if tt.errorHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errorHas) {
					t.Fatalf("options() = %+v, %v; want an error about %s", got, err, tt.errorHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
		})
	}
}
