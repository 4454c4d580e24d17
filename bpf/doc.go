// Package bpf loads and attaches the XDP program that steers this process's
// SCTP traffic into AF_XDP sockets (design.md sections 1 and 4).
//
// The program (xdp_steer.c, compiled by bpf2go into the committed
// xdpsteer_bpfel.{go,o}; `go generate ./bpf` rebuilds them with Debian's
// clang 14 and scripts/check-bpf-generate.sh checks they are current)
// redirects to the XSKMAP entry of the receive queue:
//   - SCTP addressed to a registered (family, address, port), or to
//     (family, any, port) when the destination is one of the host's own
//     addresses (AddLocalAddr; kept from the kernel's address events by the
//     program's owner): a wildcard never takes traffic the host only
//     forwards or bridges;
//   - ICMP and ICMPv6 errors quoting an SCTP packet whose source (address,
//     port) is registered, i.e. a packet we sent.
//
// IP fragments of SCTP addressed to an endpoint address are counted and
// dropped. Everything else, and anything ours that arrives on a queue with
// no registered socket, passes to the kernel. Per-CPU counters record why.
//
// Attachment goes through a bpf_link, so the program leaves the interface
// when the process dies, even by SIGKILL. A second attachment on an
// interface that already has an XDP program is refused (ErrAlreadyAttached).
// Set-up calls that depend on a network namespace take a NetNS option and
// run on an OS thread switched into it (InNetNS).
//
// Limits: the program sees one buffer per frame (no xdp.frags), so native
// mode on veth needs the peer's MTU at most 3498; above it the kernel
// refuses native mode (ERANGE) and ModeAuto falls back to generic mode,
// reported by Program.Mode and Program.NativeRefused. IPv6 extension
// headers are walked up to six deep and VLAN tags up to two; longer chains
// pass to the kernel, counted as malformed or not SCTP.
package bpf
