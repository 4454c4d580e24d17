package wire

import (
	"encoding/binary"
	"hash/crc32"
	"net/netip"
	"testing"
)

// Test frames built with this package's builders, shared by the L2/L3 tests.

var (
	l3MACA = [6]byte{0x02, 0x00, 0x5e, 0x00, 0x53, 0x01}
	l3MACB = [6]byte{0x02, 0x00, 0x5e, 0x00, 0x53, 0x02}
	l3V4A  = [4]byte{198, 18, 0, 1}
	l3V4B  = [4]byte{198, 18, 0, 2}
	l3V4R  = [4]byte{198, 19, 0, 254} // a router sending ICMP errors
	l3V6A  = netip.MustParseAddr("2001:2::1").As16()
	l3V6B  = netip.MustParseAddr("2001:2::2").As16()
	l3V6R  = netip.MustParseAddr("2001:2:0:1::fe").As16()
)

// l3SCTP returns an SCTP packet: the common header and one DATA chunk
// (RFC 9260 3.1, 3.3.1) with payload "ping", CRC32c stamped. The CRC comes
// from hash/crc32 and is stored least significant byte first, as RFC 9260
// Appendix A's reference code and every implementation do.
func l3SCTP(srcPort, dstPort uint16, vtag uint32) []byte {
	b := make([]byte, 0, 32)
	b = binary.BigEndian.AppendUint16(b, srcPort)
	b = binary.BigEndian.AppendUint16(b, dstPort)
	b = binary.BigEndian.AppendUint32(b, vtag)
	b = append(b, 0, 0, 0, 0)
	b = append(b, 0, 0x03, 0, 20)                // DATA, flags B|E, length 16+4
	b = binary.BigEndian.AppendUint32(b, 0x1000) // TSN
	b = append(b, 0, 1, 0, 0)                    // stream 1, SSN 0
	b = binary.BigEndian.AppendUint32(b, 0)      // PPID
	b = append(b, 'p', 'i', 'n', 'g')            // user data
	crc := crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli))
	binary.LittleEndian.PutUint32(b[8:], crc)
	return b
}

func l3Eth(etherType uint16, tags ...VLANTag) EthernetHeader {
	h := EthernetHeader{Destination: l3MACB, Source: l3MACA, EtherType: etherType}
	copy(h.Tags[:], tags)
	return h
}

// l3BuildV4 builds Ethernet + IPv4 + payload.
func l3BuildV4(t testing.TB, eth EthernetHeader, f IPv4Fields, payload []byte) []byte {
	t.Helper()
	b := AppendEthernet(nil, &eth)
	b, off, err := AppendIPv4Header(b, &f)
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, payload...)
	if err := FinishIPv4(b, off); err != nil {
		t.Fatal(err)
	}
	return b
}

// l3BuildV6 builds Ethernet + IPv6 + extension headers + payload.
func l3BuildV6(t testing.TB, eth EthernetHeader, f IPv6Fields, ext, payload []byte) []byte {
	t.Helper()
	b := AppendEthernet(nil, &eth)
	b, off := AppendIPv6Header(b, &f)
	b = append(b, ext...)
	b = append(b, payload...)
	if err := FinishIPv6(b, off); err != nil {
		t.Fatal(err)
	}
	return b
}

// l3V6Ext is a chain Hop-by-Hop → Destination Options → Routing (type 4,
// segments left 0) → Fragment (atomic) → Destination Options → SCTP.
func l3V6Ext(t testing.TB) []byte {
	must := func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var b []byte
	b = must(AppendIPv6Options(b, IPv6DestOpts, []byte{5, 2, 0, 0})) // Router Alert (RFC 2711)
	b = must(AppendIPv6Options(b, IPv6Routing, nil))
	// Segment Routing Header (RFC 8754) with one segment, Segments Left 0:
	// Last Entry, Flags, Tag(2), then the segment.
	srh := append([]byte{0, 0, 0, 0}, l3V6B[:]...)
	b = must(AppendIPv6Routing(b, IPv6Fragment, 4, 0, srh))
	b = AppendIPv6Fragment(b, IPv6DestOpts, 0, false, 0xdeadbeef)
	b = must(AppendIPv6Options(b, IPProtocolSCTP, []byte{0x1e, 3, 1, 2, 3})) // an experimental option (RFC 4727), skippable
	return b
}

// l3Case is a test frame and what ParseFrame must find in it.
type l3Case struct {
	name  string
	frame []byte
	want  Frame // L4 is compared by content; Eth in full
}

func l3Cases(t testing.TB) []l3Case {
	sctp4 := l3SCTP(5001, 7, 0x01020304)
	sctp6 := l3SCTP(5002, 9, 0x0a0b0c0d)
	v4 := IPv4Fields{ECN: 2, ID: 0x1234, TTL: 64, Protocol: IPProtocolSCTP, Source: l3V4A, Destination: l3V4B}
	v6 := IPv6Fields{ECN: 1, DSCP: 10, FlowLabel: 0x12345, NextHeader: IPProtocolSCTP, HopLimit: 64, Source: l3V6A, Destination: l3V6B}
	a4, b4 := netip.AddrFrom4(l3V4A), netip.AddrFrom4(l3V4B)
	a6, b6 := netip.AddrFrom16(l3V6A), netip.AddrFrom16(l3V6B)

	var cs []l3Case
	add := func(name string, frame []byte, want Frame) {
		want.L4 = frame[want.L4Offset:want.End]
		cs = append(cs, l3Case{name, frame, want})
	}

	eth := l3Eth(EtherTypeIPv4)
	add("ipv4", l3BuildV4(t, eth, v4, sctp4), Frame{Eth: eth, Source: a4, Destination: b4,
		L3Offset: 14, L4Offset: 34, End: 34 + len(sctp4), Protocol: IPProtocolSCTP, ECN: 2, TTL: 64})

	// IPv4 with options: NOP, Router Alert (RFC 2113, 4 bytes), NOP, then
	// End of Option List padding: 8 option bytes, IHL 7. Inside an 802.1Q tag.
	eth = l3Eth(EtherTypeIPv4, VLANTag{EtherTypeVLAN, 3<<13 | 100})
	o := v4
	o.Options = []byte{1, 148, 4, 0, 0, 1, 0}
	o.TTL = 1
	add("ipv4-options-vlan", l3BuildV4(t, eth, o, sctp4), Frame{Eth: eth, Source: a4, Destination: b4,
		L3Offset: 18, L4Offset: 18 + 28, End: 18 + 28 + len(sctp4), Protocol: IPProtocolSCTP, ECN: 2, TTL: 1})

	// An IPv4 first fragment (MF) and a later one, without DF.
	eth = l3Eth(EtherTypeIPv4)
	o = v4
	o.ClearDF, o.MoreFragments = true, true
	add("ipv4-first-fragment", l3BuildV4(t, eth, o, sctp4[:16]), Frame{Eth: eth, Source: a4, Destination: b4,
		L3Offset: 14, L4Offset: 34, End: 34 + 16, Protocol: IPProtocolSCTP, ECN: 2, TTL: 64, Fragment: true})
	o.MoreFragments, o.FragmentOffset = false, 16
	add("ipv4-last-fragment", l3BuildV4(t, eth, o, sctp4[16:]), Frame{Eth: eth, Source: a4, Destination: b4,
		L3Offset: 14, L4Offset: 34, End: 34 + len(sctp4) - 16, Protocol: IPProtocolSCTP, ECN: 2, TTL: 64, Fragment: true})

	eth = l3Eth(EtherTypeIPv6)
	add("ipv6", l3BuildV6(t, eth, v6, nil, sctp6), Frame{Eth: eth, Source: a6, Destination: b6,
		L3Offset: 14, L4Offset: 54, End: 54 + len(sctp6), Protocol: IPProtocolSCTP, ECN: 1, TTL: 64})

	// IPv6 with five extension headers, in QinQ (802.1ad S-tag, 802.1Q C-tag).
	eth = l3Eth(EtherTypeIPv6, VLANTag{EtherTypeQinQ, 200}, VLANTag{EtherTypeVLAN, 1<<12 | 300})
	ext := l3V6Ext(t)
	o6 := v6
	o6.NextHeader = IPv6HopByHop
	add("ipv6-ext-qinq", l3BuildV6(t, eth, o6, ext, sctp6), Frame{Eth: eth, Source: a6, Destination: b6,
		L3Offset: 22, L4Offset: 22 + 40 + len(ext), End: 22 + 40 + len(ext) + len(sctp6), Protocol: IPProtocolSCTP, ECN: 1, TTL: 64})

	// An IPv6 non-first fragment: the walk stops at the Fragment header.
	eth = l3Eth(EtherTypeIPv6)
	o6.NextHeader = IPv6Fragment
	fr := AppendIPv6Fragment(nil, IPProtocolSCTP, 1232, false, 7)
	add("ipv6-later-fragment", l3BuildV6(t, eth, o6, fr, sctp6[:13]), Frame{Eth: eth, Source: a6, Destination: b6,
		L3Offset: 14, L4Offset: 62, End: 62 + 13, Protocol: IPProtocolSCTP, ECN: 1, TTL: 64, Fragment: true})

	// ICMP "fragmentation needed", next-hop MTU 1400, from a router, quoting
	// an SCTP packet we sent (the whole of it: it is small).
	eth = l3Eth(EtherTypeIPv4)
	inner := l3BuildV4(t, l3Eth(EtherTypeIPv4), v4, sctp4)[14:]
	icmp := AppendICMPv4Error(nil, ICMPv4DestUnreachable, ICMPv4FragNeeded, 1400, inner)
	outer := IPv4Fields{ID: 1, TTL: 255, Protocol: IPProtocolICMP, Source: l3V4R, Destination: l3V4A, ClearDF: true, DSCP: 48}
	add("icmp-frag-needed", l3BuildV4(t, eth, outer, icmp), Frame{Eth: eth, Source: netip.AddrFrom4(l3V4R), Destination: a4,
		L3Offset: 14, L4Offset: 34, End: 34 + len(icmp), Protocol: IPProtocolICMP, TTL: 255})

	// ICMPv6 Packet Too Big, MTU 1280, quoting an SCTP packet with extension headers.
	eth = l3Eth(EtherTypeIPv6)
	o6.NextHeader = IPv6HopByHop
	inner = l3BuildV6(t, l3Eth(EtherTypeIPv6), o6, ext, sctp6)[14:]
	r6 := netip.AddrFrom16(l3V6R)
	icmp6 := AppendICMPv6Error(nil, ICMPv6PacketTooBig, 0, 1280, inner, r6, a6)
	outer6 := IPv6Fields{NextHeader: IPProtocolICMPv6, HopLimit: 255, Source: l3V6R, Destination: l3V6A}
	add("icmpv6-packet-too-big", l3BuildV6(t, eth, outer6, nil, icmp6), Frame{Eth: eth, Source: r6, Destination: a6,
		L3Offset: 14, L4Offset: 54, End: 54 + len(icmp6), Protocol: IPProtocolICMPv6, TTL: 255})
	return cs
}
