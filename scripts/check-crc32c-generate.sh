#!/bin/sh
# Fails if crc32c/hybrid_amd64.s is not what `go generate ./crc32c` makes
# from crc32c/gen_hybrid.go (CI runs this). Run from anywhere in the repo.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
line=$(grep '^//go:generate' "$root/crc32c/crc32c_amd64.go" | sed 's|^//go:generate ||')
(cd "$root/crc32c" && eval "$(echo "$line" | sed "s|> hybrid_amd64.s|> $tmp/hybrid_amd64.s|")")
if ! cmp -s "$root/crc32c/hybrid_amd64.s" "$tmp/hybrid_amd64.s"; then
	echo "crc32c/hybrid_amd64.s is not what 'go generate ./crc32c' produces; run it and commit the result" >&2
	exit 1
fi
echo "crc32c: generated assembly is current"
