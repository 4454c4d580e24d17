package wire

import (
	"encoding/binary"
	"net/netip"
)

// IPv4 (RFC 791).

const (
	IPv4MinHeaderLen = 20
	IPv4MaxHeaderLen = 60

	IPProtocolICMP   uint8 = 1
	IPProtocolICMPv6 uint8 = 58
	IPProtocolSCTP   uint8 = 132

	ipv4FlagReserved = 0x8000
	ipv4FlagDF       = 0x4000
	ipv4FlagMF       = 0x2000
	ipv4OffsetMask   = 0x1fff
)

// IPv4 is a view of an IPv4 packet, starting at its header and ending where
// its Total Length says. Obtain one from ParseIPv4; the accessors then trust
// the lengths.
type IPv4 []byte

var (
	errIPv4Truncated     = &Error{What: "IPv4: header", Kind: ErrTruncated}
	errIPv4Version       = &Error{What: "IPv4: version is not 4", Kind: ErrValue}
	errIPv4IHL           = &Error{What: "IPv4: IHL below 5", Kind: ErrLength}
	errIPv4HdrTruncated  = &Error{What: "IPv4: options beyond the bytes present", Kind: ErrTruncated}
	errIPv4TotalLen      = &Error{What: "IPv4: total length below header length", Kind: ErrLength}
	errIPv4PktTruncated  = &Error{What: "IPv4: total length beyond the bytes present", Kind: ErrTruncated}
	errIPv4Checksum      = &Error{What: "IPv4: header checksum", Kind: ErrValue}
	errIPv4Reserved      = &Error{What: "IPv4: reserved flag set", Kind: ErrValue}
	errIPv4FragTooLong   = &Error{What: "IPv4: fragment ends beyond 65535", Kind: ErrLength}
	errIPv4FragMultiple  = &Error{What: "IPv4: non-final fragment not a multiple of 8 bytes", Kind: ErrLength}
	errIPv4OptionLen     = &Error{What: "IPv4: option length", Kind: ErrLength}
	errIPv4OptionsTooBig = &Error{What: "IPv4: options longer than 40 bytes", Kind: ErrLength}
	errIPv4TooLong       = &Error{What: "IPv4: packet longer than 65535", Kind: ErrLength}
	errIPv4FinishOffset  = &Error{What: "IPv4: finish offset not at a header", Kind: ErrValue}
)

// ParseIPv4 validates the IPv4 packet at the start of b and returns a view of
// it, trimmed to its Total Length (b may carry link-layer padding after it).
// It checks the version, IHL, Total Length against IHL and the bytes present,
// the header checksum, the option TLVs (RFC 791 3.1), the reserved flag, and
// that fragment fields are consistent (RFC 791: non-final fragments are
// multiples of 8 bytes; no fragment ends beyond 65535).
func ParseIPv4(b []byte) (IPv4, error) {
	if len(b) < IPv4MinHeaderLen {
		return nil, errIPv4Truncated
	}
	if b[0]>>4 != 4 {
		return nil, errIPv4Version
	}
	ihl := int(b[0]&0xf) * 4
	if ihl < IPv4MinHeaderLen {
		return nil, errIPv4IHL
	}
	if len(b) < ihl {
		return nil, errIPv4HdrTruncated
	}
	tl := int(binary.BigEndian.Uint16(b[2:]))
	if tl < ihl {
		return nil, errIPv4TotalLen
	}
	if tl > len(b) {
		return nil, errIPv4PktTruncated
	}
	if InternetSum(b[:ihl], 0) != 0xffff {
		return nil, errIPv4Checksum
	}
	ff := binary.BigEndian.Uint16(b[6:])
	if ff&ipv4FlagReserved != 0 {
		return nil, errIPv4Reserved
	}
	if ff&(ipv4FlagMF|ipv4OffsetMask) != 0 {
		plen := tl - ihl
		if int(ff&ipv4OffsetMask)*8+plen > 0xffff {
			return nil, errIPv4FragTooLong
		}
		if ff&ipv4FlagMF != 0 && plen%8 != 0 {
			return nil, errIPv4FragMultiple
		}
	}
	if ihl > IPv4MinHeaderLen {
		if err := checkIPv4Options(b[IPv4MinHeaderLen:ihl]); err != nil {
			return nil, err
		}
	}
	return IPv4(b[:tl]), nil
}

// checkIPv4Options walks the option TLVs: End of Option List (0) ends the
// list, No Operation (1) is one byte, every other option has a length byte
// counting itself and the type (RFC 791 3.1).
func checkIPv4Options(o []byte) error {
	for i := 0; i < len(o); {
		switch o[i] {
		case 0:
			return nil
		case 1:
			i++
		default:
			if i+1 >= len(o) {
				return errIPv4OptionLen
			}
			l := int(o[i+1])
			if l < 2 || i+l > len(o) {
				return errIPv4OptionLen
			}
			i += l
		}
	}
	return nil
}

// Version is the IP version (4).
func (h IPv4) Version() uint8 { return h[0] >> 4 }

// HeaderLen is the header length in bytes (IHL × 4).
func (h IPv4) HeaderLen() int { return int(h[0]&0xf) * 4 }

// TOS is the whole former type-of-service byte: DSCP and ECN.
func (h IPv4) TOS() uint8 { return h[1] }

// DSCP is the differentiated services code point (RFC 2474).
func (h IPv4) DSCP() uint8 { return h[1] >> 2 }

// ECN is the two-bit ECN field (RFC 3168).
func (h IPv4) ECN() uint8 { return h[1] & 3 }

// TotalLength is the packet length, header included.
func (h IPv4) TotalLength() uint16 { return binary.BigEndian.Uint16(h[2:]) }

// ID is the identification field.
func (h IPv4) ID() uint16 { return binary.BigEndian.Uint16(h[4:]) }

// DontFragment reports the DF flag.
func (h IPv4) DontFragment() bool { return h[6]&0x40 != 0 }

// MoreFragments reports the MF flag.
func (h IPv4) MoreFragments() bool { return h[6]&0x20 != 0 }

// FragmentOffset is the fragment offset in bytes.
func (h IPv4) FragmentOffset() uint16 {
	return binary.BigEndian.Uint16(h[6:]) & ipv4OffsetMask * 8
}

// IsFragment reports whether the packet is a fragment: MF set or a non-zero
// offset.
func (h IPv4) IsFragment() bool {
	return binary.BigEndian.Uint16(h[6:])&(ipv4FlagMF|ipv4OffsetMask) != 0
}

// TTL is the time to live.
func (h IPv4) TTL() uint8 { return h[8] }

// Protocol is the upper-layer protocol number.
func (h IPv4) Protocol() uint8 { return h[9] }

// Checksum is the header checksum field as stored.
func (h IPv4) Checksum() uint16 { return binary.BigEndian.Uint16(h[10:]) }

// SourceAddress is the source address.
func (h IPv4) SourceAddress() [4]byte { return [4]byte(h[12:16]) }

// DestinationAddress is the destination address.
func (h IPv4) DestinationAddress() [4]byte { return [4]byte(h[16:20]) }

// Source is the source address as a netip.Addr (netip.AddrFrom4 does not allocate).
func (h IPv4) Source() netip.Addr { return netip.AddrFrom4([4]byte(h[12:16])) }

// Destination is the destination address as a netip.Addr.
func (h IPv4) Destination() netip.Addr { return netip.AddrFrom4([4]byte(h[16:20])) }

// Options are the header's option bytes (with any end-of-list padding).
func (h IPv4) Options() []byte { return h[IPv4MinHeaderLen:h.HeaderLen()] }

// Payload is the upper-layer data, up to Total Length.
func (h IPv4) Payload() []byte { return h[h.HeaderLen():] }

// Fields returns the header's fields in the form AppendIPv4Header takes.
// Options alias the view.
func (h IPv4) Fields() IPv4Fields {
	return IPv4Fields{
		DSCP:           h.DSCP(),
		ECN:            h.ECN(),
		ID:             h.ID(),
		ClearDF:        !h.DontFragment(),
		MoreFragments:  h.MoreFragments(),
		FragmentOffset: h.FragmentOffset(),
		TTL:            h.TTL(),
		Protocol:       h.Protocol(),
		Source:         h.SourceAddress(),
		Destination:    h.DestinationAddress(),
		Options:        h.Options(),
	}
}
