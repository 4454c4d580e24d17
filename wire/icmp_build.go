package wire

import (
	"encoding/binary"
	"net/netip"
)

// AppendICMPv4Error appends an ICMP error message quoting the packet quoted
// (the caller trims it; RFC 1812 4.3.2.3 keeps the whole message within 576
// bytes) and computes its checksum. param is the next-hop MTU of a
// "fragmentation needed" (type 3 code 4, RFC 1191) or the pointer of a
// Parameter Problem (type 12); other types ignore it.
func AppendICMPv4Error(b []byte, typ, code uint8, param uint32, quoted []byte) []byte {
	off := len(b)
	b = append(b, typ, code, 0, 0, 0, 0, 0, 0)
	switch {
	case typ == ICMPv4DestUnreachable && code == ICMPv4FragNeeded:
		binary.BigEndian.PutUint16(b[off+6:], uint16(param))
	case typ == ICMPv4ParamProblem:
		b[off+4] = byte(param)
	}
	b = append(b, quoted...)
	binary.BigEndian.PutUint16(b[off+2:], InternetChecksum(b[off:]))
	return b
}

// AppendICMPv6Error appends an ICMPv6 error message quoting the packet quoted
// (the caller trims it; RFC 4443 2.4(c) keeps the whole packet within the
// IPv6 minimum MTU) and computes its checksum over the pseudo-header of an
// IPv6 packet from src to dst. param is the MTU of a Packet Too Big or the
// pointer of a Parameter Problem; other types ignore it.
func AppendICMPv6Error(b []byte, typ, code uint8, param uint32, quoted []byte, src, dst netip.Addr) []byte {
	off := len(b)
	b = append(b, typ, code, 0, 0, 0, 0, 0, 0)
	if typ == ICMPv6PacketTooBig || typ == ICMPv6ParamProblem {
		binary.BigEndian.PutUint32(b[off+4:], param)
	}
	b = append(b, quoted...)
	sum := InternetSum(b[off:], ipv6PseudoSum(src, dst, IPProtocolICMPv6, len(b)-off))
	binary.BigEndian.PutUint16(b[off+2:], ^sum)
	return b
}
