#!/usr/bin/env bash
# Installs what building and testing sctp-xdp needs on a fresh Debian 12
# machine (run as root). Idempotent and non-interactive: packages already
# present are not fetched again.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

packages=(
	libusrsctp-examples libusrsctp-dev # the reference SCTP stack: peers for interop tests
	tshark                             # independent dissector (design.md 8.4)
	python3-scapy                      # raw SCTP from the peer namespace
	iproute2 ethtool                   # namespaces, veth pairs, queues
	clang llvm libbpf-dev bpftool      # go generate ./bpf
	gcc libc6-dev                      # cgo-free Go needs none, but the C peers do
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
	echo "deps: installing ${missing[*]}"
	# wireshark-common asks whether non-root users may capture; the default (no) is fine.
	echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Go: the module needs go1.26 or newer.
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
	export PATH="/usr/local/go/bin:$PATH"
fi
if ! command -v go >/dev/null 2>&1; then
	echo "deps: Go 1.26 or newer is required (https://go.dev/dl), e.g. in /usr/local/go" >&2
	exit 1
fi
ver=$(go env GOVERSION)
ver=${ver#go}
IFS=. read -r major minor _ <<<"$ver"
if ((major < 1 || (major == 1 && minor < 26))); then
	echo "deps: Go $ver found; 1.26 or newer is required" >&2
	exit 1
fi
go mod download
echo "deps: ok (go $ver)"
