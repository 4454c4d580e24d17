//go:build ignore

// SPDX-License-Identifier: (MIT OR GPL-2.0)
//
// xdp_steer: hands this process's SCTP traffic to the AF_XDP socket of the
// receive queue and leaves everything else to the kernel.
//
// Ours (design.md section 1):
//   - SCTP addressed to a registered (family, address, port), or to
//     (family, any, port) when the destination is one of the interface's own
//     addresses (the locals map: a wildcard binds local addresses, as in the
//     kernel, never traffic passing through a router or a bridge);
//   - an ICMP (RFC 792) or ICMPv6 (RFC 4443) error whose quoted packet is SCTP
//     with a registered source (address, port): a packet we sent;
//   - IP fragments of SCTP addressed to an endpoint address are counted and
//     dropped (we send with DF and follow the path MTU, RFC 9260 section 8.2).
// Everything else, malformed frames included, goes to the kernel untouched.

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char __license[] SEC("license") = "Dual MIT/GPL";

#define MAX_QUEUES 256
#define MAX_ENDPOINTS 4096
#define MAX_VLAN_TAGS 2
#define MAX_IPV6_EXT 6

#define ETH_P_8021AD_ 0x88A8
#define ETH_P_8021Q_ 0x8100

#define PROTO_ICMP 1
#define PROTO_SCTP 132
#define PROTO_ICMPV6 58

// IPv6 extension headers we walk (RFC 8200 section 4).
#define NH_HOPOPTS 0
#define NH_ROUTING 43
#define NH_FRAGMENT 44
#define NH_AH 51
#define NH_DSTOPTS 60

// Families as stored in endpoint keys: independent of AF_* constants.
#define FAMILY_IPV4 4
#define FAMILY_IPV6 6

// Counter indexes; bpf/counters.go names them in the same order.
enum reason {
	REASON_STEERED = 0,     // SCTP to a registered endpoint, redirected
	REASON_NOT_SCTP,        // not SCTP (ARP, ND, TCP, UDP, ICMP not ours), passed
	REASON_NOT_OURS,        // SCTP to no registered endpoint, passed
	REASON_ICMP_STEERED,    // ICMP error about a packet we sent, redirected
	REASON_FRAGMENT,        // IP fragment of SCTP to an endpoint address, dropped
	REASON_MALFORMED,       // truncated or inconsistent headers, passed
	REASON_NO_SOCKET,       // ours, but no socket on this queue: passed
	REASON_MAX,
};

// Key of the endpoints map: a zero addr is the wildcard of its family.
struct endpoint_key {
	__u8 family;
	__u8 pad;
	__be16 port;
	__u8 addr[16];
};

// Key of the addrs map: the addresses endpoints are bound to (a zero addr
// means some endpoint of the family is bound to the wildcard).
struct addr_key {
	__u8 family;
	__u8 pad[3];
	__u8 addr[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENDPOINTS);
	__type(key, struct endpoint_key);
	__type(value, __u32);
} endpoints SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENDPOINTS);
	__type(key, struct addr_key);
	__type(value, __u32);
} addrs SEC(".maps");

// The host's own unicast addresses, for wildcard endpoints; kept by user
// space from the kernel's address events.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENDPOINTS);
	__type(key, struct addr_key);
	__type(value, __u32);
} locals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, REASON_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void count(__u32 reason)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &reason);
	if (v)
		*v += 1;
}

// A cursor over the frame; every read is checked against end.
struct cursor {
	void *pos;
	void *end;
};

static __always_inline void addr_key_of(struct addr_key *k, __u8 family, const void *addr)
{
	k->family = family;
	if (family == FAMILY_IPV4)
		__builtin_memcpy(k->addr, addr, 4);
	else
		__builtin_memcpy(k->addr, addr, 16);
}

// is_local reports whether addr is one of the host's own addresses.
static __always_inline int is_local(__u8 family, const void *addr)
{
	struct addr_key k = {};
	addr_key_of(&k, family, addr);
	return bpf_map_lookup_elem(&locals, &k) != NULL;
}

// registered reports whether (family, addr, port) is an endpoint, or
// (family, any, port) is and addr is local.
static __always_inline int registered(__u8 family, const void *addr, __be16 port)
{
	struct endpoint_key k = {};
	k.family = family;
	k.port = port;
	if (family == FAMILY_IPV4)
		__builtin_memcpy(k.addr, addr, 4);
	else
		__builtin_memcpy(k.addr, addr, 16);
	if (bpf_map_lookup_elem(&endpoints, &k))
		return 1;
	__builtin_memset(k.addr, 0, sizeof(k.addr));
	return bpf_map_lookup_elem(&endpoints, &k) != NULL && is_local(family, addr);
}

// local_addr reports whether addr is an endpoint address of family: bound
// by an endpoint, or local while some endpoint of the family is wildcard.
static __always_inline int local_addr(__u8 family, const void *addr)
{
	struct addr_key k = {};
	addr_key_of(&k, family, addr);
	if (bpf_map_lookup_elem(&addrs, &k))
		return 1;
	if (!is_local(family, addr))
		return 0;
	__builtin_memset(k.addr, 0, sizeof(k.addr));
	return bpf_map_lookup_elem(&addrs, &k) != NULL;
}

// Result of parsing an IP header.
struct ip_info {
	__u8 family;
	__u8 proto;     // upper-layer protocol (after IPv6 extension headers)
	__u8 fragment;  // 1: this packet is a fragment
	__u8 first;     // 1: the fragment carries the upper-layer header (offset 0)
	void *saddr;
	void *daddr;
	void *l4;       // start of the upper-layer header
};

// parse_ipv4 parses an IPv4 header (RFC 791) with its options.
// Returns 0 on success, -1 when truncated or inconsistent.
static __always_inline int parse_ipv4(void *p, void *end, struct ip_info *ip)
{
	if (p + 20 > end)
		return -1;
	__u8 *b = p;
	if ((b[0] >> 4) != 4)
		return -1;
	__u32 ihl = (b[0] & 0x0f) * 4;
	if (ihl < 20)
		return -1;
	if (p + ihl > end)
		return -1;
	__u16 frag = ((__u16)b[6] << 8) | b[7];
	ip->family = FAMILY_IPV4;
	ip->proto = b[9];
	ip->fragment = (frag & 0x3fff) != 0; // MF set or offset non-zero
	ip->first = (frag & 0x1fff) == 0;
	ip->saddr = p + 12;
	ip->daddr = p + 16;
	ip->l4 = p + ihl;
	return 0;
}

// parse_ipv6 parses an IPv6 header (RFC 8200) and up to MAX_IPV6_EXT
// extension headers. Returns 0 on success, -1 when truncated or when the
// chain is longer than we walk.
static __always_inline int parse_ipv6(void *p, void *end, struct ip_info *ip)
{
	if (p + 40 > end)
		return -1;
	__u8 *b = p;
	if ((b[0] >> 4) != 6)
		return -1;
	ip->family = FAMILY_IPV6;
	ip->saddr = p + 8;
	ip->daddr = p + 24;
	ip->fragment = 0;
	ip->first = 1;
	__u8 nh = b[6];
	p += 40;
#pragma unroll
	for (int i = 0; i < MAX_IPV6_EXT; i++) {
		switch (nh) {
		case NH_HOPOPTS:
		case NH_ROUTING:
		case NH_DSTOPTS: {
			if (p + 8 > end)
				return -1;
			__u8 *e = p;
			nh = e[0];
			p += ((__u32)e[1] + 1) * 8;
			break;
		}
		case NH_AH: {
			if (p + 8 > end)
				return -1;
			__u8 *e = p;
			nh = e[0];
			p += ((__u32)e[1] + 2) * 4;
			break;
		}
		case NH_FRAGMENT: {
			if (p + 8 > end)
				return -1;
			__u8 *e = p;
			__u16 fo = ((__u16)e[2] << 8) | e[3];
			__u16 off = fo & 0xfff8;
			nh = e[0];
			// An atomic fragment (offset 0, M clear) is a whole packet
			// (RFC 6946, RFC 8200 section 4.5).
			if (off != 0 || (fo & 1))
				ip->fragment = 1;
			if (off != 0) {
				// Later fragments carry no upper-layer header.
				ip->first = 0;
				ip->proto = nh;
				ip->l4 = p + 8;
				return 0;
			}
			p += 8;
			break;
		}
		default:
			ip->proto = nh;
			ip->l4 = p;
			return 0;
		}
	}
	switch (nh) {
	case NH_HOPOPTS:
	case NH_ROUTING:
	case NH_DSTOPTS:
	case NH_AH:
	case NH_FRAGMENT:
		return -1; // chain longer than we walk
	}
	ip->proto = nh;
	ip->l4 = p;
	return 0;
}

// icmp_error_ours reports whether an ICMP/ICMPv6 error at l4 quotes an SCTP
// packet we sent: 1 ours, 0 not ours, -1 malformed.
static __always_inline int icmp_error_ours(struct ip_info *outer, void *end)
{
	__u8 *icmp = outer->l4;
	if ((void *)icmp + 8 > end)
		return -1;
	__u8 type = icmp[0];
	if (outer->family == FAMILY_IPV4) {
		// RFC 792: destination unreachable, time exceeded, parameter problem.
		if (type != 3 && type != 11 && type != 12)
			return 0;
	} else {
		// RFC 4443 section 2.1: error messages have types 1 to 4.
		if (type < 1 || type > 4)
			return 0;
	}
	struct ip_info inner = {};
	void *q = (void *)icmp + 8;
	int err;
	if (outer->family == FAMILY_IPV4)
		err = parse_ipv4(q, end, &inner);
	else
		err = parse_ipv6(q, end, &inner);
	if (err)
		return -1;
	if (inner.proto != PROTO_SCTP || !inner.first)
		return 0;
	// The quote holds at least the first 8 bytes of the SCTP common
	// header (ports and verification tag; RFC 792, RFC 9260 section 8.4).
	__u8 *sctp = inner.l4;
	if ((void *)sctp + 8 > end)
		return -1;
	__be16 sport = *(__be16 *)sctp;
	return registered(inner.family, inner.saddr, sport);
}

static __always_inline int steer(struct xdp_md *ctx, __u32 reason)
{
	int act = bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
	if (act == XDP_REDIRECT)
		count(reason);
	else
		count(REASON_NO_SOCKET);
	return act;
}

SEC("xdp")
int xdp_steer(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;

	if (data + sizeof(struct ethhdr) > end) {
		count(REASON_MALFORMED);
		return XDP_PASS;
	}
	struct ethhdr *eth = data;
	__be16 proto = eth->h_proto;
	void *p = data + sizeof(struct ethhdr);

	// An 802.1Q or 802.1ad tag, then an 802.1Q one: 4 bytes each (TCI,
	// inner type). An 802.1ad tag inside another is malformed (as in wire).
#pragma unroll
	for (int i = 0; i < MAX_VLAN_TAGS; i++) {
		if (i > 0 && proto == bpf_htons(ETH_P_8021AD_)) {
			count(REASON_MALFORMED);
			return XDP_PASS;
		}
		if (proto != bpf_htons(ETH_P_8021Q_) && proto != bpf_htons(ETH_P_8021AD_))
			break;
		if (p + 4 > end) {
			count(REASON_MALFORMED);
			return XDP_PASS;
		}
		proto = *(__be16 *)(p + 2);
		p += 4;
	}

	struct ip_info ip = {};
	int err;
	if (proto == bpf_htons(ETH_P_IP))
		err = parse_ipv4(p, end, &ip);
	else if (proto == bpf_htons(ETH_P_IPV6))
		err = parse_ipv6(p, end, &ip);
	else {
		count(REASON_NOT_SCTP);
		return XDP_PASS;
	}
	if (err) {
		count(REASON_MALFORMED);
		return XDP_PASS;
	}

	if (ip.proto == PROTO_SCTP) {
		if (ip.fragment) {
			if (local_addr(ip.family, ip.daddr)) {
				count(REASON_FRAGMENT);
				return XDP_DROP;
			}
			count(REASON_NOT_OURS);
			return XDP_PASS;
		}
		__u8 *sctp = ip.l4;
		if ((void *)sctp + 12 > end) {
			count(REASON_MALFORMED);
			return XDP_PASS;
		}
		__be16 dport = *(__be16 *)(sctp + 2);
		if (registered(ip.family, ip.daddr, dport))
			return steer(ctx, REASON_STEERED);
		count(REASON_NOT_OURS);
		return XDP_PASS;
	}

	if (!ip.fragment && ((ip.family == FAMILY_IPV4 && ip.proto == PROTO_ICMP) ||
			     (ip.family == FAMILY_IPV6 && ip.proto == PROTO_ICMPV6))) {
		int ours = icmp_error_ours(&ip, end);
		if (ours > 0)
			return steer(ctx, REASON_ICMP_STEERED);
		if (ours < 0) {
			count(REASON_MALFORMED);
			return XDP_PASS;
		}
	}
	count(REASON_NOT_SCTP);
	return XDP_PASS;
}
