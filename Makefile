# Turnpike: the two commands a developer needs are `make run` and `make test`.
# Everything they need is built from the Go module proxy and cached under bin/ and .cache/.

SHELL := /usr/bin/env bash -o pipefail
GO ?= go
BIN := $(CURDIR)/bin
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
KUBE_VERSION ?= v1.37.2
ENVTEST_ASSETS = $(BIN)/k8s/$(KUBE_VERSION)
GO_TEST_FLAGS ?= -race -shuffle=on -timeout 20m

.PHONY: all
all: build

##@ The two commands

.PHONY: run
run: build ## Build turnpike and serve examples/quickstart in standalone mode (with its example backends).
	@hack/run-quickstart.sh

.PHONY: test
test: fmt-check vet verify-manifests envtest-bins redis-server helm ## Everything CI runs: gofmt, go vet, generated files, layering, unit, data plane, envtest and e2e tests.
	KUBEBUILDER_ASSETS=$(ENVTEST_ASSETS) $(GO) test $(GO_TEST_FLAGS) ./...
	@# Allocation counts mean nothing under -race (sync.Pool drops objects at random):
	@# the zero-allocation tests of the hot path run once more without it.
	$(GO) test -count=1 -run 'DoesNotAllocate' ./dataplane/...

##@ Building

.PHONY: build
build: ## Build bin/turnpike and the example backend.
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/turnpike ./cmd/turnpike
	$(GO) build -o $(BIN)/example-backend ./examples/backend

.PHONY: build-static
build-static: ## Build a static bin/turnpike (CGO_ENABLED=0), as the container image does.
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w $(LDFLAGS)" -o $(BIN)/turnpike-static ./cmd/turnpike

##@ Checks

.PHONY: fmt-check
fmt-check: ## Fail if any Go file is not gofmt-ed.
	@unformatted=$$(git ls-files --cached --others --exclude-standard '*.go' | while read -r f; do [ -f "$$f" ] && echo "$$f"; done | xargs -r gofmt -l); \
	if [ -n "$$unformatted" ]; then echo "These files are not gofmt-ed (run gofmt -w):"; echo "$$unformatted"; exit 1; fi

.PHONY: vet
vet: ## go vet over every package.
	$(GO) vet ./...

.PHONY: verify-manifests
verify-manifests: ## Fail if config/rbac or config/crd/bases differ from what the Go markers generate.
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$$(hack/tools.sh controller-gen) rbac:roleName=turnpike crd paths="./api/..." paths="./controllers/..." \
		output:crd:artifacts:config=$$tmp/crd output:rbac:artifacts:config=$$tmp/rbac || exit 1; \
	mkdir -p $$tmp/crd; \
	if ! diff -u config/rbac/role.yaml $$tmp/rbac/role.yaml || \
	   ! diff -ru --exclude=.gitkeep --exclude=kustomization.yaml $$( [ -d config/crd/bases ] && echo config/crd/bases || echo $$tmp/crd ) $$tmp/crd; then \
		echo "Generated manifests are stale: run 'make manifests' and commit the result."; exit 1; fi

.PHONY: redis-server
redis-server: ## Install redis-server (apt-get) when it is not on PATH: the rate-limit tests start real ones.
	@hack/ensure-redis.sh

.PHONY: conformance
conformance: ## Gateway API conformance (GATEWAY-HTTP) in a local cluster in its own network namespace; needs root. RUN_TEST=Name runs one test.
	@RUN_TEST="$(RUN_TEST)" hack/conformance.sh

.PHONY: envtest-bins
envtest-bins: ## Build (once, then cached) kube-apiserver, etcd, kube-controller-manager and kubectl into bin/k8s.
	@KUBE_VERSION=$(KUBE_VERSION) hack/build-kube-binaries.sh >/dev/null

##@ Generation

.PHONY: manifests
manifests: ## Regenerate CRDs and RBAC under config/ from the Go markers.
	$$(hack/tools.sh controller-gen) rbac:roleName=turnpike crd paths="./api/..." paths="./controllers/..." \
		output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac
	hack/sync-chart.sh

.PHONY: generate
generate: ## Regenerate deep-copy functions for api/.
	$$(hack/tools.sh controller-gen) object paths="./api/..."

.PHONY: golden
golden: ## Regenerate the compiler's golden files after an intended change (review the diff!).
	$(GO) test ./controllers/compiler -update

##@ Performance

.PHONY: bench
bench: redis-server ## Requests/s and added latency of the data plane on the quick-start config, next to a direct backend.
	$(GO) run ./test/bench
	$(GO) test -run '^$$' -bench . -benchmem ./dataplane/...

.PHONY: helm
helm: ## Build (once, then cached) the pinned helm the chart tests use into bin/tools.
	@hack/tools.sh helm >/dev/null

.PHONY: chart-golden
chart-golden: ## Regenerate the chart's golden renderings after an intended change (review the diff!).
	$(GO) test ./test/helm -run TestTemplateGolden -update

.PHONY: loadtest-tools
loadtest-tools: ## Install wrk and nginx (apt-get) when missing; nginx runs only as the harness's child, never as a service.
	@hack/ensure-loadtest-tools.sh

.PHONY: loadtest
loadtest: loadtest-tools ## Turnpike vs nginx on this box: scenarios interleaved over rounds, CPU pinning, medians (under 5 minutes).
	$(GO) run ./test/load

.PHONY: loadtest-scale
loadtest-scale: ## 10,000 HTTPRoutes: time to ready, resident memory, compile and route-lookup benchmarks against their targets.
	$(GO) run ./test/load -mode scale

.PHONY: loadtest-apply
loadtest-apply: envtest-bins ## HTTPRoute change in a real API server to traffic, 1,000 routes in place: p50/p90/p99 against 1 s.
	KUBEBUILDER_ASSETS=$(ENVTEST_ASSETS) $(GO) run ./test/load -mode apply

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z_-]+:.*?##/ { printf "  %-14s %s\n", $$1, $$2 } /^##@/ { printf "\n%s\n", substr($$0, 5) }' $(MAKEFILE_LIST)
