package bpf

// The committed xdpsteer_bpfel.{go,o} are the output of this line with
// Debian's clang 14; scripts/check-bpf-generate.sh checks they are current.
//go:generate go run github.com/cilium/ebpf/cmd/bpf2go -cc clang-14 -strip llvm-strip-14 -target bpfel -type endpoint_key -type addr_key xdpSteer xdp_steer.c -- -I/usr/include/x86_64-linux-gnu -Wall -Werror
