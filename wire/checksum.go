package wire

import (
	"encoding/binary"
	"math/bits"
)

// InternetSum returns the 16-bit one's complement sum (RFC 1071) of b added
// to initial, folded to 16 bits but not complemented. Sums of consecutive
// pieces combine by passing one result as the next call's initial value, as
// long as every piece but the last has an even length.
//
// It adds 8 bytes at a time into a 64-bit accumulator, feeding each carry into
// the next addition: 2^64 ≡ 1 modulo 2^16-1, so a carry out of bit 63 is worth
// exactly one unit of the 16-bit sum (the end-around carry of RFC 1071 2(C)).
func InternetSum(b []byte, initial uint16) uint16 {
	s := uint64(initial)
	var c, cy uint64
	for len(b) >= 32 {
		s, c = bits.Add64(s, binary.BigEndian.Uint64(b), 0)
		s, c = bits.Add64(s, binary.BigEndian.Uint64(b[8:]), c)
		s, c = bits.Add64(s, binary.BigEndian.Uint64(b[16:]), c)
		s, c = bits.Add64(s, binary.BigEndian.Uint64(b[24:]), c)
		cy += c
		b = b[32:]
	}
	for len(b) >= 8 {
		s, c = bits.Add64(s, binary.BigEndian.Uint64(b), 0)
		cy += c
		b = b[8:]
	}
	if len(b) >= 4 {
		s, c = bits.Add64(s, uint64(binary.BigEndian.Uint32(b)), 0)
		cy += c
		b = b[4:]
	}
	if len(b) >= 2 {
		s, c = bits.Add64(s, uint64(binary.BigEndian.Uint16(b)), 0)
		cy += c
		b = b[2:]
	}
	if len(b) == 1 {
		// An odd final byte is the high byte of a zero-padded word (RFC 1071 4.1).
		s, c = bits.Add64(s, uint64(b[0])<<8, 0)
		cy += c
	}
	// Fold 64 → 16 bits; cy counts carries, each worth 1.
	t := s>>32 + s&0xffffffff + cy
	for t > 0xffff {
		t = t>>16 + t&0xffff
	}
	return uint16(t)
}

// InternetChecksum returns the Internet checksum of b: the complement of its
// one's complement sum (RFC 1071). A header whose checksum field holds this
// value sums to 0xffff.
func InternetChecksum(b []byte) uint16 { return ^InternetSum(b, 0) }
