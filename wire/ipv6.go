package wire

import (
	"encoding/binary"
	"net/netip"
)

// IPv6 (RFC 8200) and its extension headers.

const (
	IPv6HeaderLen = 40 // the fixed header

	// MaxIPv6ExtHeaders bounds the extension header walk; a longer chain is
	// ErrUnsupported (RFC 7045 lets a node drop what it cannot parse; RFC 8504
	// 5.3 allows limits on chain length).
	MaxIPv6ExtHeaders = 8

	IPv6HopByHop     uint8 = 0
	IPv6Routing      uint8 = 43
	IPv6Fragment     uint8 = 44
	IPv6ESP          uint8 = 50
	IPv6AH           uint8 = 51
	IPv6NoNextHeader uint8 = 59
	IPv6DestOpts     uint8 = 60
	ipv6Mobility     uint8 = 135 // RFC 6275
	ipv6HIP          uint8 = 139 // RFC 7401
	ipv6Shim6        uint8 = 140 // RFC 5533

	ipv6FragmentHeaderLen = 8
)

// ipv6ExtHeader marks the extension headers the walk steps over (RFC 8200 4,
// IANA's IPv6 Extension Header Types); ESP (50) is one too, but opaque, so
// the walk ends there.
var ipv6ExtHeader = [256]bool{IPv6HopByHop: true, IPv6Routing: true, IPv6Fragment: true, IPv6AH: true,
	IPv6DestOpts: true, ipv6Mobility: true, ipv6HIP: true, ipv6Shim6: true}

// IPv6 is a view of an IPv6 packet from its fixed header to the end of its
// payload (Payload Length). Obtain one from ParseIPv6.
type IPv6 []byte

// IPv6Ext is what the extension header walk found.
type IPv6Ext struct {
	// Protocol is the upper-layer protocol: the Next Header value after the
	// last extension header walked. ESP (50) and No Next Header (59) end the
	// walk and appear here; so does a non-first fragment's Next Header.
	Protocol uint8
	// PayloadOffset is the offset of the upper-layer header from the start
	// of the IPv6 header.
	PayloadOffset int
	// ExtHeaders is the number of extension headers walked.
	ExtHeaders int
	// Fragment: part of a fragmented packet (MF set or a non-zero offset).
	// An atomic fragment (a Fragment header with neither) is not one
	// (RFC 6946). A non-first fragment ends the walk.
	Fragment       bool
	FragmentOffset uint16 // bytes
	MoreFragments  bool
	FragmentID     uint32
}

var (
	errIPv6Truncated     = &Error{What: "IPv6: header", Kind: ErrTruncated}
	errIPv6Version       = &Error{What: "IPv6: version is not 6", Kind: ErrValue}
	errIPv6PktTruncated  = &Error{What: "IPv6: payload length beyond the bytes present", Kind: ErrTruncated}
	errIPv6Jumbo         = &Error{What: "IPv6: jumbogram", Kind: ErrUnsupported}
	errIPv6ExtTruncated  = &Error{What: "IPv6: extension header", Kind: ErrTruncated}
	errIPv6HopByHopPos   = &Error{What: "IPv6: hop-by-hop options not first", Kind: ErrValue}
	errIPv6TwoFragments  = &Error{What: "IPv6: second fragment header", Kind: ErrValue}
	errIPv6TooManyExt    = &Error{What: "IPv6: extension header chain longer than 8", Kind: ErrUnsupported}
	errIPv6FragMultiple  = &Error{What: "IPv6: non-final fragment not a multiple of 8 bytes", Kind: ErrLength}
	errIPv6FragTooLong   = &Error{What: "IPv6: fragment ends beyond 65535", Kind: ErrLength}
	errIPv6TooLong       = &Error{What: "IPv6: payload longer than 65535", Kind: ErrLength}
	errIPv6FinishOffset  = &Error{What: "IPv6: finish offset not at a header", Kind: ErrValue}
	errIPv6ExtBodyLength = &Error{What: "IPv6: extension header body length", Kind: ErrLength}
)

// ParseIPv6 validates the IPv6 packet at the start of b, walks its extension
// headers (at most MaxIPv6ExtHeaders) and returns a view trimmed to the
// payload length (b may carry link-layer padding after it).
func ParseIPv6(b []byte) (IPv6, IPv6Ext, error) {
	if len(b) < IPv6HeaderLen {
		return nil, IPv6Ext{}, errIPv6Truncated
	}
	if b[0]>>4 != 6 {
		return nil, IPv6Ext{}, errIPv6Version
	}
	pl := int(binary.BigEndian.Uint16(b[4:]))
	if pl == 0 && b[6] == IPv6HopByHop {
		// A Jumbo Payload option would give the length (RFC 2675).
		return nil, IPv6Ext{}, errIPv6Jumbo
	}
	if IPv6HeaderLen+pl > len(b) {
		return nil, IPv6Ext{}, errIPv6PktTruncated
	}
	b = b[:IPv6HeaderLen+pl]
	if !ipv6ExtHeader[b[6]] {
		// No extension headers: the common case, without the walk.
		return IPv6(b), IPv6Ext{Protocol: b[6], PayloadOffset: IPv6HeaderLen}, nil
	}
	x, fragEnd, err := walkIPv6(b)
	if err != nil {
		return nil, x, err
	}
	if x.Fragment {
		// RFC 8200 4.5: non-final fragments are multiples of 8 bytes, and no
		// fragment reaches beyond 65535 bytes of reassembled payload.
		fl := len(b) - fragEnd
		if x.MoreFragments && fl%8 != 0 {
			return nil, x, errIPv6FragMultiple
		}
		if int(x.FragmentOffset)+fl > 0xffff {
			return nil, x, errIPv6FragTooLong
		}
	}
	return IPv6(b), x, nil
}

// walkIPv6 walks the extension headers of the packet b (fixed header
// included), all of which must be present in b. It returns what it found and
// the offset just past the Fragment header, if any.
func walkIPv6(b []byte) (x IPv6Ext, fragEnd int, err error) {
	off := IPv6HeaderLen
	nh := b[6]
	for n := 0; ; n++ {
		if !ipv6ExtHeader[nh] {
			// Upper layer, ESP or No Next Header: the walk ends.
			x.Protocol, x.PayloadOffset, x.ExtHeaders = nh, off, n
			return x, fragEnd, nil
		}
		if n == MaxIPv6ExtHeaders {
			return x, 0, errIPv6TooManyExt
		}
		if len(b) < off+2 {
			return x, 0, errIPv6ExtTruncated
		}
		var l int
		switch nh {
		case IPv6HopByHop:
			if n != 0 {
				return x, 0, errIPv6HopByHopPos // RFC 8200 4.3
			}
			l = (int(b[off+1]) + 1) * 8
		case IPv6AH:
			l = (int(b[off+1]) + 2) * 4 // RFC 4302 2.2
		case IPv6Fragment:
			if fragEnd != 0 {
				return x, 0, errIPv6TwoFragments
			}
			l = ipv6FragmentHeaderLen
		default:
			l = (int(b[off+1]) + 1) * 8
		}
		if len(b) < off+l {
			return x, 0, errIPv6ExtTruncated
		}
		next := b[off]
		if nh == IPv6Fragment {
			// RFC 8200 4.5: offset (13 bits, 8-byte units), 2 reserved bits, M.
			fo := binary.BigEndian.Uint16(b[off+2:])
			x.FragmentOffset = fo &^ 7
			x.MoreFragments = fo&1 != 0
			x.FragmentID = binary.BigEndian.Uint32(b[off+4:])
			x.Fragment = x.FragmentOffset != 0 || x.MoreFragments
			fragEnd = off + l
			if x.FragmentOffset != 0 {
				// What follows is fragment data, not headers.
				x.Protocol, x.PayloadOffset, x.ExtHeaders = next, off+l, n+1
				return x, fragEnd, nil
			}
		}
		nh = next
		off += l
	}
}

// Version is the IP version (6).
func (h IPv6) Version() uint8 { return h[0] >> 4 }

// TrafficClass is the traffic class byte: DSCP and ECN.
func (h IPv6) TrafficClass() uint8 { return uint8(binary.BigEndian.Uint16(h[0:]) >> 4) }

// DSCP is the differentiated services code point (RFC 2474).
func (h IPv6) DSCP() uint8 { return h.TrafficClass() >> 2 }

// ECN is the two-bit ECN field (RFC 3168).
func (h IPv6) ECN() uint8 { return h.TrafficClass() & 3 }

// FlowLabel is the 20-bit flow label.
func (h IPv6) FlowLabel() uint32 { return binary.BigEndian.Uint32(h[0:]) & 0xfffff }

// PayloadLength is the length after the fixed header, extension headers included.
func (h IPv6) PayloadLength() uint16 { return binary.BigEndian.Uint16(h[4:]) }

// NextHeader is the fixed header's Next Header field.
func (h IPv6) NextHeader() uint8 { return h[6] }

// HopLimit is the hop limit.
func (h IPv6) HopLimit() uint8 { return h[7] }

// SourceAddress is the source address.
func (h IPv6) SourceAddress() [16]byte { return [16]byte(h[8:24]) }

// DestinationAddress is the destination address.
func (h IPv6) DestinationAddress() [16]byte { return [16]byte(h[24:40]) }

// Source is the source address as a netip.Addr (netip.AddrFrom16 does not allocate).
func (h IPv6) Source() netip.Addr { return netip.AddrFrom16([16]byte(h[8:24])) }

// Destination is the destination address as a netip.Addr.
func (h IPv6) Destination() netip.Addr { return netip.AddrFrom16([16]byte(h[24:40])) }

// Fields returns the fixed header's fields in the form AppendIPv6Header takes.
func (h IPv6) Fields() IPv6Fields {
	return IPv6Fields{
		DSCP:        h.DSCP(),
		ECN:         h.ECN(),
		FlowLabel:   h.FlowLabel(),
		NextHeader:  h.NextHeader(),
		HopLimit:    h.HopLimit(),
		Source:      h.SourceAddress(),
		Destination: h.DestinationAddress(),
	}
}
