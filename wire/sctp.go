package wire

import "encoding/binary"

// SCTPHeaderLen is the size of the SCTP common header (RFC 9260 3.1).
const SCTPHeaderLen = 12

// SCTP is a view of an SCTP packet: the common header followed by chunks
// (RFC 9260 3). Obtain one from ParseSCTP, which validates every chunk; the
// accessors then read without further checks.
type SCTP []byte

// SrcPort is the sender's port number.
func (s SCTP) SrcPort() uint16 { return binary.BigEndian.Uint16(s[0:]) }

// DstPort is the receiver's port number.
func (s SCTP) DstPort() uint16 { return binary.BigEndian.Uint16(s[2:]) }

// VerificationTag is the common header's Verification Tag.
func (s SCTP) VerificationTag() uint32 { return binary.BigEndian.Uint32(s[4:]) }

// Checksum is the CRC32c field as transmitted (its bytes read little-endian,
// the order in which RFC 9260 Appendix A places the CRC).
func (s SCTP) Checksum() uint32 { return binary.LittleEndian.Uint32(s[8:]) }

// Chunks iterates over the packet's chunks. On a packet that ParseSCTP
// accepted it yields every chunk and Err stays nil.
func (s SCTP) Chunks() ChunkIter { return ChunkIter{b: s, off: SCTPHeaderLen} }

// FirstChunk returns the first chunk, for the checks of RFC 9260 8.4 and
// 8.5.1 that depend on it (INIT, ABORT, SHUTDOWN COMPLETE...).
func (s SCTP) FirstChunk() (Chunk, bool) {
	it := s.Chunks()
	return it.Next()
}

// ParseSCTP checks the common header and walks every chunk, validating each
// chunk's length, padding and body (RFC 9260 3.2; see ValidateChunk). It does
// not verify the checksum (crc32c.Verify does). The walk is bounded by the
// packet length: every chunk is at least 4 bytes long.
//
// The error is an *Error whose Cause names the error cause to answer with,
// if the RFC prescribes one. To find the offending chunk (say, the TSN for
// a No User Data cause), walk Chunks and call ValidateChunk on each.
func ParseSCTP(b []byte) (SCTP, error) {
	if len(b) < SCTPHeaderLen {
		return nil, errSCTPShort
	}
	if len(b) == SCTPHeaderLen {
		return nil, errSCTPNoChunks
	}
	it := ChunkIter{b: b, off: SCTPHeaderLen}
	for {
		c, ok := it.Next()
		if !ok {
			break
		}
		if err := ValidateChunk(c); err != nil {
			return nil, err
		}
	}
	if it.err != nil {
		return nil, it.err
	}
	return SCTP(b), nil
}

// ChunkIter walks chunks by value without allocating. Next checks each
// chunk header against the bytes present, so it is safe on any input; a
// malformed header (including a zero length) ends the walk and sets Err.
type ChunkIter struct {
	b   []byte
	off int
	err error
}

// Next returns the next chunk (without its padding).
func (it *ChunkIter) Next() (Chunk, bool) {
	rest := len(it.b) - it.off
	if rest <= 0 || it.err != nil {
		return nil, false
	}
	if rest < ChunkHeaderLen {
		it.err = errChunkHeaderShort
		return nil, false
	}
	n := int(binary.BigEndian.Uint16(it.b[it.off+2:]))
	if n < ChunkHeaderLen {
		it.err = errChunkLenZero
		return nil, false
	}
	if n > rest {
		it.err = errChunkTruncated
		return nil, false
	}
	// RFC 9260 3.2: chunks are padded to a multiple of 4 bytes, the last one
	// included; the length field excludes the padding.
	p := (n + 3) &^ 3
	if p > rest {
		it.err = errChunkPadding
		return nil, false
	}
	c := Chunk(it.b[it.off : it.off+n : it.off+n])
	it.off += p
	return c, true
}

// Err reports why the walk stopped early, or nil.
func (it *ChunkIter) Err() error { return it.err }

// Offset is the offset, from the start of the packet, of the next chunk.
func (it *ChunkIter) Offset() int { return it.off }
