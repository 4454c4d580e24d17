#!/bin/sh
# Regenerates bpf/'s bpf2go output in a scratch copy of the module and fails
# if it differs from the committed files (CI runs this after scripts/deps.sh
# installs clang 14). Run from anywhere inside the repository.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/bpf"
cp "$root/go.mod" "$root/go.sum" "$tmp/"
cp "$root"/bpf/*.c "$root/bpf/gen.go" "$tmp/bpf/"
(cd "$tmp" && go generate ./bpf)
status=0
for f in "$root"/bpf/*_bpfel.go "$root"/bpf/*_bpfel.o "$root"/bpf/*_bpfeb.go "$root"/bpf/*_bpfeb.o; do
	[ -e "$f" ] || continue
	name=$(basename "$f")
	if ! cmp -s "$f" "$tmp/bpf/$name"; then
		echo "bpf/$name is not what 'go generate ./bpf' produces; run it and commit the result" >&2
		status=1
	fi
done
for f in "$tmp"/bpf/*_bpfe[lb].*; do
	name=$(basename "$f")
	if [ ! -e "$root/bpf/$name" ]; then
		echo "bpf/$name is generated but not committed" >&2
		status=1
	fi
done
# No absolute path of the build machine may end up in the object.
if strings "$tmp"/bpf/*.o | grep -q "$tmp\|/home/\|/root/\|/work/"; then
	echo "generated object embeds an absolute path" >&2
	status=1
fi
exit $status
