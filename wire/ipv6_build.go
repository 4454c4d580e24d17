package wire

import "encoding/binary"

// IPv6Fields are the settable fields of the IPv6 fixed header.
type IPv6Fields struct {
	DSCP        uint8  // 6 bits
	ECN         uint8  // 2 bits (RFC 3168)
	FlowLabel   uint32 // 20 bits; higher bits are ignored
	NextHeader  uint8  // the first extension header, or the upper-layer protocol
	HopLimit    uint8  // no default: 64 is usual
	Source      [16]byte
	Destination [16]byte
}

// AppendIPv6Header appends an IPv6 fixed header to b and returns the extended
// buffer and the header's offset in it. Payload Length is left zero: append
// the extension headers and payload, then call FinishIPv6 with that offset.
func AppendIPv6Header(b []byte, f *IPv6Fields) ([]byte, int) {
	off := len(b)
	tc := uint32(f.DSCP<<2 | f.ECN&3)
	b = binary.BigEndian.AppendUint32(b, 6<<28|tc<<20|f.FlowLabel&0xfffff)
	b = append(b, 0, 0, f.NextHeader, f.HopLimit)
	b = append(b, f.Source[:]...)
	b = append(b, f.Destination[:]...)
	return b, off
}

// FinishIPv6 sets Payload Length to the bytes after the fixed header at off.
func FinishIPv6(b []byte, off int) error {
	if off < 0 || len(b)-off < IPv6HeaderLen || b[off]>>4 != 6 {
		return errIPv6FinishOffset
	}
	pl := len(b) - off - IPv6HeaderLen
	if pl > 0xffff {
		return errIPv6TooLong
	}
	binary.BigEndian.PutUint16(b[off+4:], uint16(pl))
	return nil
}

// AppendIPv6Options appends a Hop-by-Hop or Destination Options header
// (RFC 8200 4.3, 4.6) holding the option TLVs opts, padded with Pad1/PadN to
// a multiple of 8 bytes; next is its Next Header.
func AppendIPv6Options(b []byte, next uint8, opts []byte) ([]byte, error) {
	n := (2 + len(opts) + 7) / 8
	if n > 256 {
		return b, errIPv6ExtBodyLength
	}
	start := len(b)
	b = append(b, next, byte(n-1))
	b = append(b, opts...)
	switch pad := n*8 - (len(b) - start); {
	case pad == 1:
		b = append(b, 0) // Pad1
	case pad > 1:
		b = append(b, 1, byte(pad-2)) // PadN
		for i := 2; i < pad; i++ {
			b = append(b, 0)
		}
	}
	return b, nil
}

// AppendIPv6Routing appends a Routing header (RFC 8200 4.4); data is the
// type-specific data, whose length plus 4 must be a multiple of 8.
func AppendIPv6Routing(b []byte, next, routingType, segmentsLeft uint8, data []byte) ([]byte, error) {
	l := 4 + len(data)
	if l%8 != 0 || l > 256*8 {
		return b, errIPv6ExtBodyLength
	}
	b = append(b, next, byte(l/8-1), routingType, segmentsLeft)
	return append(b, data...), nil
}

// AppendIPv6Fragment appends a Fragment header (RFC 8200 4.5). offset is in
// bytes, a multiple of 8.
func AppendIPv6Fragment(b []byte, next uint8, offset uint16, more bool, id uint32) []byte {
	fo := offset &^ 7
	if more {
		fo |= 1
	}
	b = append(b, next, 0)
	b = binary.BigEndian.AppendUint16(b, fo)
	return binary.BigEndian.AppendUint32(b, id)
}
