# The Turnpike image: one static binary on a distroless base, running as non-root.
#
#   docker build -t ghcr.io/turnpike-gateway/turnpike:$(git describe --tags --always) .
#
# Images cannot be built on the development machine (no container runtime); what the
# build stage does is `make build-static`, and test/helm builds that same static binary
# and checks that it has no ELF interpreter, i.e. that it runs on a base without libc.

# Build stage: the Go version go.mod asks for. CGO_ENABLED=0 links statically (pure-Go
# DNS resolver and user lookup), so the binary needs nothing from the runtime image.
FROM golang:1.26.8 AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOTOOLCHAIN=local
# Dependencies first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/turnpike ./cmd/turnpike

# Runtime stage: CA certificates, /etc/passwd with nonroot (65532) and nothing else; no
# shell, no package manager. The chart runs it with a read-only root filesystem.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/turnpike /usr/local/bin/turnpike
USER 65532:65532
# The admin server (/healthz, /readyz, /metrics); data-plane ports are the Gateways'
# listener ports mapped onto unprivileged container ports.
EXPOSE 9901
ENTRYPOINT ["/usr/local/bin/turnpike"]
CMD ["serve"]
