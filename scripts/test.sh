#!/usr/bin/env bash
# The test command (README): installs what is missing, then checks formatting,
# vet and generated code, and runs every test. Privileged tests need root (or
# CAP_NET_ADMIN, CAP_NET_RAW, CAP_BPF, CAP_SYS_ADMIN, CAP_IPC_LOCK); with
# SCTPXDP_REQUIRE_PRIV=1 (as CI sets it) a test that would skip fails instead,
# and every test in .ci/priv-tests.txt must run and pass.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /usr/local/go/bin/go ] && export PATH="/usr/local/go/bin:$PATH"

step() { printf '\n== %s\n' "$*"; }

step "dependencies"
bash scripts/deps.sh

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:" >&2
	echo "$unformatted" >&2
	exit 1
fi

step "go vet"
go vet ./...
# deploy/ is a module of its own (k8s.io/api stays out of the main module).
(cd deploy && go vet ./...)

step "generated code is current (BPF object, CRC32c assembly)"
bash scripts/check-bpf-generate.sh
bash scripts/check-crc32c-generate.sh

step "go test"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
go build -o "$out/testreport" ./internal/citool/testreport
status=0
# Packages run two at a time; privileged tests serialise on the test bed's lock.
go test -json -count=1 -timeout 30m ./... >"$out/tests.json" || status=$?
# The lock-free rings again under the race detector.
if [ -d fastpath ]; then
	go test -json -count=1 -race -timeout 15m ./fastpath/... >"$out/race.json" || status=$?
fi
# The deployment files, checked against the Kubernetes API types.
(cd deploy && go test -json -count=1 ./...) >"$out/deploy.json" || status=$?
"$out/testreport" -priv .ci/priv-tests.txt "$out"/*.json || status=$?
exit $status
