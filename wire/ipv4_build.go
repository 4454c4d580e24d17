package wire

import "encoding/binary"

// IPv4Fields are the settable fields of an IPv4 header. The zero value sets
// DF: we send with DF and follow the path MTU (RFC 9260 section 7.3, RFC 8899).
type IPv4Fields struct {
	DSCP           uint8 // 6 bits
	ECN            uint8 // 2 bits (RFC 3168): 0 Not-ECT, 2 ECT(0), 1 ECT(1), 3 CE
	ID             uint16
	ClearDF        bool   // send without DF
	MoreFragments  bool   // MF; only for building test fragments
	FragmentOffset uint16 // in bytes, a multiple of 8; only for test fragments
	TTL            uint8  // no default: 64 is usual
	Protocol       uint8
	Source         [4]byte
	Destination    [4]byte
	// Options are copied as they are and padded with End of Option List
	// bytes to a multiple of 4; at most 40 bytes.
	Options []byte
}

// AppendIPv4Header appends an IPv4 header to b and returns the extended
// buffer and the header's offset in it. Total Length and the checksum are
// left zero: append the payload, then call FinishIPv4 with that offset.
func AppendIPv4Header(b []byte, f *IPv4Fields) ([]byte, int, error) {
	if len(f.Options) > IPv4MaxHeaderLen-IPv4MinHeaderLen {
		return b, 0, errIPv4OptionsTooBig
	}
	off := len(b)
	ihl := (IPv4MinHeaderLen + len(f.Options) + 3) / 4
	ff := f.FragmentOffset / 8 & ipv4OffsetMask
	if !f.ClearDF {
		ff |= ipv4FlagDF
	}
	if f.MoreFragments {
		ff |= ipv4FlagMF
	}
	b = append(b, 0x40|byte(ihl), f.DSCP<<2|f.ECN&3, 0, 0)
	b = binary.BigEndian.AppendUint16(b, f.ID)
	b = binary.BigEndian.AppendUint16(b, ff)
	b = append(b, f.TTL, f.Protocol, 0, 0)
	b = append(b, f.Source[:]...)
	b = append(b, f.Destination[:]...)
	b = append(b, f.Options...)
	for len(b)-off < ihl*4 {
		b = append(b, 0) // End of Option List
	}
	return b, off, nil
}

// FinishIPv4 sets Total Length to the bytes from off to the end of b and
// computes the header checksum of the header at b[off:].
func FinishIPv4(b []byte, off int) error {
	if off < 0 || len(b)-off < IPv4MinHeaderLen || b[off]>>4 != 4 {
		return errIPv4FinishOffset
	}
	h := b[off:]
	ihl := int(h[0]&0xf) * 4
	if ihl < IPv4MinHeaderLen || ihl > len(h) {
		return errIPv4FinishOffset
	}
	if len(h) > 0xffff {
		return errIPv4TooLong
	}
	binary.BigEndian.PutUint16(h[2:], uint16(len(h)))
	h[10], h[11] = 0, 0
	binary.BigEndian.PutUint16(h[10:], InternetChecksum(h[:ihl]))
	return nil
}
