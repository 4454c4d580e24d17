package crc32c

import "encoding/binary"

// SCTP common header layout (RFC 9260 Section 3.1): source port (2), destination port (2),
// verification tag (4), checksum (4).
const (
	checksumOffset = 8
	headerLen      = 12
)

var zeroField [Size]byte

// PacketChecksum returns the CRC32c of the SCTP packet pkt computed as if its 4-byte Checksum
// field (offset 8) were zero, as RFC 9260 Section 6.8 requires, without copying or writing pkt.
//
// A pkt shorter than 12 bytes is not an SCTP packet; the result is then the CRC32c of the bytes
// present with those among offsets 8..11 read as zero, so the function is total and never
// panics (Verify rejects such input).
func PacketChecksum(pkt []byte) uint32 {
	if useAVX512 && len(pkt) >= headerLen {
		// One short assembly call for the header instead of two library calls.
		return Update(^headerState(&pkt[0]), pkt[headerLen:])
	}
	return packetChecksum(Update, pkt)
}

// packetChecksum is PacketChecksum over a given update function, so tests can run it on every
// implementation.
func packetChecksum(update func(uint32, []byte) uint32, pkt []byte) uint32 {
	if len(pkt) <= checksumOffset {
		return update(0, pkt)
	}
	crc := update(0, pkt[:checksumOffset])
	if len(pkt) < headerLen {
		return update(crc, zeroField[:len(pkt)-checksumOffset])
	}
	crc = update(crc, zeroField[:])
	return update(crc, pkt[headerLen:])
}

// Field returns the CRC32c stored in the Checksum field of pkt. SCTP stores the CRC32c result
// least significant byte first (RFC 9260 Appendix A: the CRC is transmitted in the reflected bit
// order in which it was computed, which is little-endian byte order of the 32-bit value).
// Field returns 0, false when pkt is shorter than the common header.
func Field(pkt []byte) (uint32, bool) {
	if len(pkt) < headerLen {
		return 0, false
	}
	return binary.LittleEndian.Uint32(pkt[checksumOffset:]), true
}

// Verify reports whether the Checksum field of the SCTP packet pkt holds PacketChecksum(pkt).
// It returns false for a pkt shorter than the 12-byte common header.
func Verify(pkt []byte) bool {
	want, ok := Field(pkt)
	return ok && PacketChecksum(pkt) == want
}

// Stamp computes PacketChecksum(pkt) and writes it into the Checksum field of pkt, in the byte
// order of RFC 9260 Appendix A. It does nothing to a pkt shorter than the 12-byte common header.
func Stamp(pkt []byte) {
	if len(pkt) < headerLen {
		return
	}
	binary.LittleEndian.PutUint32(pkt[checksumOffset:], PacketChecksum(pkt))
}
