# syntax=docker/dockerfile:1
#
# sctp-xdp as a small image: a static binary (CGO_ENABLED=0) on distroless
# static. The XDP program is the committed bpf2go object, embedded in the
# binary (bpf/xdpsteer_bpfel.go), so neither clang nor libbpf is needed to
# build and nothing but the binary is needed to run.
#
#   docker build -t sctp-xdp .
#   docker run --rm --network host --cap-drop ALL \
#     --cap-add NET_ADMIN --cap-add NET_RAW --cap-add BPF --cap-add PERFMON \
#     --cap-add IPC_LOCK \
#     sctp-xdp serve --iface eth1 --port 5001 --metrics :9464
#
# The process runs as uid 0 with only those capabilities (not --privileged):
# Docker and Kubernetes give added capabilities to uid 0 only (there are no
# ambient capabilities for other users). Why each one: deploy/daemonset.yaml.
# `--ulimit memlock=-1` can stand in for IPC_LOCK. `demo` needs ip(8) and
# is not meant for this image: run it on the host.

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION} AS build
WORKDIR /src
# Modules first: this layer is cached until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ENV CGO_ENABLED=0
RUN go build -trimpath -ldflags='-s -w' -o /out/sctp-xdp ./cmd/sctp-xdp

FROM gcr.io/distroless/static-debian12
COPY --from=build /out/sctp-xdp /usr/local/bin/sctp-xdp
# /metrics when started with --metrics :9464 (the DaemonSet in deploy/ does).
EXPOSE 9464
ENTRYPOINT ["/usr/local/bin/sctp-xdp"]
CMD ["help"]
