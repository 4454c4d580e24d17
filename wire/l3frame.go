package wire

import "net/netip"

// Frame is what ParseFrame learns from an Ethernet frame: enough for the fast
// path to pick an association (or an ICMP error's quoted one) without another
// look at the headers.
type Frame struct {
	Eth EthernetHeader
	// Source and Destination are the IP addresses (IPv4 ones are plain
	// 4-byte addresses, not IPv4-mapped).
	Source, Destination netip.Addr
	// L3Offset is the IP header's offset in the frame, L4Offset the
	// upper-layer header's, End the end of the IP packet (Total Length or
	// Payload Length; Ethernet padding may follow it).
	L3Offset, L4Offset, End int
	// L4 is frame[L4Offset:End]: the SCTP packet, or the ICMP message. For
	// a non-first fragment it is fragment data.
	L4 []byte
	// Protocol is the upper-layer protocol (IPv6: after extension headers).
	Protocol uint8
	// ECN is the IP header's ECN field (RFC 3168), which RFC 9260 Appendix A
	// has the receiver report.
	ECN uint8
	// TTL is the IPv4 TTL or the IPv6 hop limit.
	TTL uint8
	// Fragment: the packet is an IP fragment (IPv4 MF or offset; IPv6
	// Fragment header other than an atomic fragment).
	Fragment bool
}

// IPv6 reports whether the frame carries IPv6.
func (f *Frame) IPv6() bool { return f.Eth.EtherType == EtherTypeIPv6 }

var errFrameNotIP = &Error{What: "frame: EtherType is neither IPv4 nor IPv6", Kind: ErrUnsupported}

// ParseFrame parses and validates an Ethernet frame's L2 and L3 headers
// (ParseEthernet, then ParseIPv4 or ParseIPv6) in one call, without
// allocating. Fragments are reported, not refused.
func ParseFrame(b []byte) (f Frame, err error) {
	err = f.Parse(b)
	return f, err
}

// Parse is ParseFrame into f, for a fast path that keeps one Frame per poller:
// the result is not copied around (a Frame is 128 bytes). On error f's
// fields are unspecified.
func (f *Frame) Parse(b []byte) error {
	eth, off, err := ParseEthernet(b)
	if err != nil {
		return err
	}
	f.Eth = eth
	f.L3Offset = off
	switch eth.EtherType {
	case EtherTypeIPv4:
		h, err := ParseIPv4(b[off:])
		if err != nil {
			return err
		}
		f.Source = netip.AddrFrom4([4]byte(h[12:16]))
		f.Destination = netip.AddrFrom4([4]byte(h[16:20]))
		f.L4Offset = off + h.HeaderLen()
		f.End = off + len(h)
		f.Protocol = h.Protocol()
		f.ECN = h.ECN()
		f.TTL = h.TTL()
		f.Fragment = h.IsFragment()
	case EtherTypeIPv6:
		h, x, err := ParseIPv6(b[off:])
		if err != nil {
			return err
		}
		f.Source = netip.AddrFrom16([16]byte(h[8:24]))
		f.Destination = netip.AddrFrom16([16]byte(h[24:40]))
		f.L4Offset = off + x.PayloadOffset
		f.End = off + len(h)
		f.Protocol = x.Protocol
		f.ECN = h.ECN()
		f.TTL = h.HopLimit()
		f.Fragment = x.Fragment
	default:
		return errFrameNotIP
	}
	f.L4 = b[f.L4Offset:f.End]
	return nil
}
