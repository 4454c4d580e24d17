package wire

import (
	"encoding/binary"
	"net/netip"
)

// ICMP (RFC 792, RFC 1191) and ICMPv6 (RFC 4443) error messages and the
// packet they quote: what RFC 9260 Appendix C needs to find the association
// (addresses, ports, verification tag) and the path MTU.

const (
	ICMPHeaderLen = 8 // type, code, checksum, 4 type-specific bytes

	ICMPv4DestUnreachable uint8 = 3
	ICMPv4TimeExceeded    uint8 = 11
	ICMPv4ParamProblem    uint8 = 12
	ICMPv4FragNeeded      uint8 = 4 // code of Destination Unreachable (RFC 1191)

	ICMPv6DestUnreachable uint8 = 1
	ICMPv6PacketTooBig    uint8 = 2
	ICMPv6TimeExceeded    uint8 = 3
	ICMPv6ParamProblem    uint8 = 4

	// quotedL4Min is what an error must quote of the upper layer: RFC 792
	// promises 64 bits, which for SCTP are the ports and the verification tag.
	quotedL4Min = 8
)

// ICMPError is a parsed ICMP or ICMPv6 error message and the IP packet it
// quotes (one that we sent). Its fields and methods are meaningful only after
// a parse that returned no error.
type ICMPError struct {
	Type, Code uint8
	// MTU is the next-hop MTU of an ICMPv4 "fragmentation needed" (RFC 1191;
	// 0 from routers older than it) or of an ICMPv6 Packet Too Big.
	MTU uint32
	// Pointer is a Parameter Problem's pointer (octet offset in the quoted packet).
	Pointer uint32
	// Source and Destination of the quoted packet.
	Source, Destination netip.Addr
	// Protocol is the quoted packet's upper-layer protocol.
	Protocol uint8
	// Quoted are the quoted upper-layer bytes: at least 8 (for SCTP the
	// ports and verification tag, RFC 9260 Appendix C), as many as quoted.
	Quoted []byte
}

// TooBig reports whether e is an ICMPv4 "fragmentation needed and DF set" or
// an ICMPv6 Packet Too Big: a path MTU signal (RFC 1191, RFC 8201).
func (e *ICMPError) TooBig() bool {
	if e.Source.Is4() {
		return e.Type == ICMPv4DestUnreachable && e.Code == ICMPv4FragNeeded
	}
	return e.Type == ICMPv6PacketTooBig
}

// ProtocolUnreachable reports whether e says the destination host does not
// run the quoted packet's protocol: ICMPv4 Destination Unreachable code 2
// (RFC 792) or ICMPv6 Parameter Problem code 1, unrecognized Next Header
// (RFC 4443 3.4); RFC 9260 Appendix C ICMP8.
func (e *ICMPError) ProtocolUnreachable() bool {
	if e.Source.Is4() {
		return e.Type == ICMPv4DestUnreachable && e.Code == 2
	}
	return e.Type == ICMPv6ParamProblem && e.Code == 1
}

// QuotedInitiateTag is the Initiate Tag of a quoted INIT (the chunk right
// after the common header, RFC 9260 Appendix C ICMP6); ok is false when
// the quote is not an INIT or too short to hold the tag.
func (e *ICMPError) QuotedInitiateTag() (tag uint32, ok bool) {
	if len(e.Quoted) < SCTPHeaderLen+8 || ChunkType(e.Quoted[SCTPHeaderLen]) != ChunkInit {
		return 0, false
	}
	return binary.BigEndian.Uint32(e.Quoted[SCTPHeaderLen+4:]), true
}

// QuotedPorts are the quoted upper-layer header's source and destination
// ports (SCTP, UDP and TCP put them first).
func (e *ICMPError) QuotedPorts() (src, dst uint16) {
	return binary.BigEndian.Uint16(e.Quoted[0:]), binary.BigEndian.Uint16(e.Quoted[2:])
}

// QuotedVerificationTag is the quoted SCTP common header's verification tag.
func (e *ICMPError) QuotedVerificationTag() uint32 { return binary.BigEndian.Uint32(e.Quoted[4:]) }

var (
	errICMPTruncated       = &Error{What: "ICMP: header", Kind: ErrTruncated}
	errICMPChecksum        = &Error{What: "ICMP: checksum", Kind: ErrValue}
	errICMPNotError        = &Error{What: "ICMP: not an error message", Kind: ErrUnsupported}
	errICMPQuotedTruncated = &Error{What: "ICMP: quoted IP header", Kind: ErrTruncated}
	errICMPQuotedVersion   = &Error{What: "ICMP: quoted packet of another IP version", Kind: ErrValue}
	errICMPQuotedIHL       = &Error{What: "ICMP: quoted IPv4 IHL below 5", Kind: ErrLength}
	errICMPQuotedFragment  = &Error{What: "ICMP: quoted packet is a non-first fragment", Kind: ErrUnsupported}
	errICMPQuotedL4        = &Error{What: "ICMP: fewer than 8 quoted upper-layer bytes", Kind: ErrTruncated}
)

// ParseICMPv4Error parses the ICMP message b (the IPv4 payload): it checks the
// checksum, accepts Destination Unreachable, Time Exceeded and Parameter
// Problem (others are ErrUnsupported), and decodes the quoted IPv4 header.
// The quoted header's checksum and Total Length are not checked: routers
// quote what they received and truncate it.
func ParseICMPv4Error(b []byte) (e ICMPError, err error) {
	if len(b) < ICMPHeaderLen {
		return e, errICMPTruncated
	}
	if InternetSum(b, 0) != 0xffff {
		return e, errICMPChecksum
	}
	e.Type, e.Code = b[0], b[1]
	switch e.Type {
	case ICMPv4DestUnreachable:
		if e.Code == ICMPv4FragNeeded {
			e.MTU = uint32(binary.BigEndian.Uint16(b[6:]))
		}
	case ICMPv4TimeExceeded:
	case ICMPv4ParamProblem:
		e.Pointer = uint32(b[4])
	default:
		return e, errICMPNotError
	}
	q := quotedDatagram(b[ICMPHeaderLen:], int(b[5])*4)
	if len(q) < IPv4MinHeaderLen {
		return e, errICMPQuotedTruncated
	}
	if q[0]>>4 != 4 {
		return e, errICMPQuotedVersion
	}
	ihl := int(q[0]&0xf) * 4
	if ihl < IPv4MinHeaderLen {
		return e, errICMPQuotedIHL
	}
	if len(q) < ihl {
		return e, errICMPQuotedTruncated
	}
	if binary.BigEndian.Uint16(q[6:])&ipv4OffsetMask != 0 {
		return e, errICMPQuotedFragment
	}
	if tl := int(binary.BigEndian.Uint16(q[2:])); tl >= ihl && tl < len(q) {
		q = q[:tl] // the quoted packet was shorter than what follows it
	}
	e.Source = netip.AddrFrom4([4]byte(q[12:16]))
	e.Destination = netip.AddrFrom4([4]byte(q[16:20]))
	e.Protocol = q[9]
	e.Quoted = q[ihl:]
	if len(e.Quoted) < quotedL4Min {
		return e, errICMPQuotedL4
	}
	return e, nil
}

// ParseICMPv6Error parses the ICMPv6 message b (the upper-layer payload of an
// IPv6 packet from src to dst): it checks the checksum over the pseudo-header
// (RFC 4443 2.3, RFC 8200 8.1), accepts Destination Unreachable, Packet Too
// Big, Time Exceeded and Parameter Problem (others are ErrUnsupported), and
// walks the quoted IPv6 header's extension headers to its upper layer.
func ParseICMPv6Error(b []byte, src, dst netip.Addr) (e ICMPError, err error) {
	if len(b) < ICMPHeaderLen {
		return e, errICMPTruncated
	}
	if InternetSum(b, ipv6PseudoSum(src, dst, IPProtocolICMPv6, len(b))) != 0xffff {
		return e, errICMPChecksum
	}
	e.Type, e.Code = b[0], b[1]
	q := b[ICMPHeaderLen:]
	switch e.Type {
	case ICMPv6DestUnreachable, ICMPv6TimeExceeded:
		q = quotedDatagram(q, int(b[4])*8)
	case ICMPv6PacketTooBig:
		e.MTU = binary.BigEndian.Uint32(b[4:])
	case ICMPv6ParamProblem:
		e.Pointer = binary.BigEndian.Uint32(b[4:])
	default:
		return e, errICMPNotError
	}
	if len(q) < IPv6HeaderLen {
		return e, errICMPQuotedTruncated
	}
	if q[0]>>4 != 6 {
		return e, errICMPQuotedVersion
	}
	if end := IPv6HeaderLen + int(binary.BigEndian.Uint16(q[4:])); end < len(q) {
		q = q[:end]
	}
	x, _, err := walkIPv6(q)
	if err != nil {
		return e, err
	}
	if x.FragmentOffset != 0 {
		return e, errICMPQuotedFragment
	}
	e.Source = netip.AddrFrom16([16]byte(q[8:24]))
	e.Destination = netip.AddrFrom16([16]byte(q[24:40]))
	e.Protocol = x.Protocol
	e.Quoted = q[x.PayloadOffset:]
	if len(e.Quoted) < quotedL4Min {
		return e, errICMPQuotedL4
	}
	return e, nil
}

// quotedDatagram applies an RFC 4884 length attribute: when it is set and
// fits, the original datagram is that long and ICMP extensions follow it.
func quotedDatagram(q []byte, n int) []byte {
	if n != 0 && n <= len(q) {
		return q[:n]
	}
	return q
}

// ipv6PseudoSum is the one's complement sum of the IPv6 pseudo-header
// (RFC 8200 8.1) for an upper-layer packet of length n.
func ipv6PseudoSum(src, dst netip.Addr, proto uint8, n int) uint16 {
	s, d := src.As16(), dst.As16()
	var tail [8]byte
	binary.BigEndian.PutUint32(tail[0:], uint32(n))
	tail[7] = proto
	return InternetSum(tail[:], InternetSum(d[:], InternetSum(s[:], 0)))
}
