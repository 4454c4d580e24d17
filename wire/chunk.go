package wire

import "encoding/binary"

// ChunkHeaderLen is the size of a chunk header: type, flags, length (RFC 9260 3.2).
const ChunkHeaderLen = 4

// ChunkType is an SCTP chunk type (RFC 9260 3.2 and the extensions named below).
type ChunkType uint8

// Chunk types.
const (
	ChunkData             ChunkType = 0    // RFC 9260 3.3.1
	ChunkInit             ChunkType = 1    // RFC 9260 3.3.2
	ChunkInitAck          ChunkType = 2    // RFC 9260 3.3.3
	ChunkSack             ChunkType = 3    // RFC 9260 3.3.4
	ChunkHeartbeat        ChunkType = 4    // RFC 9260 3.3.5
	ChunkHeartbeatAck     ChunkType = 5    // RFC 9260 3.3.6
	ChunkAbort            ChunkType = 6    // RFC 9260 3.3.7
	ChunkShutdown         ChunkType = 7    // RFC 9260 3.3.8
	ChunkShutdownAck      ChunkType = 8    // RFC 9260 3.3.9
	ChunkError            ChunkType = 9    // RFC 9260 3.3.10
	ChunkCookieEcho       ChunkType = 10   // RFC 9260 3.3.11
	ChunkCookieAck        ChunkType = 11   // RFC 9260 3.3.12
	ChunkECNE             ChunkType = 12   // RFC 9260 Appendix A
	ChunkCWR              ChunkType = 13   // RFC 9260 Appendix A
	ChunkShutdownComplete ChunkType = 14   // RFC 9260 3.3.13
	ChunkAuth             ChunkType = 15   // RFC 4895 4.1
	ChunkNRSack           ChunkType = 0x10 // NR-SACK (draft-tuexen-tsvwg-sctp-multipath; usrsctp, Wireshark)
	ChunkIData            ChunkType = 0x40 // RFC 8260 2.1
	ChunkAsconfAck        ChunkType = 0x80 // RFC 5061 4.1.2
	ChunkPktDrop          ChunkType = 0x81 // draft-stewart-sctp-pktdrprep
	ChunkReconfig         ChunkType = 0x82 // RFC 6525 3.1
	ChunkPad              ChunkType = 0x84 // RFC 4820 3
	ChunkForwardTSN       ChunkType = 0xC0 // RFC 3758 3.2
	ChunkAsconf           ChunkType = 0xC1 // RFC 5061 4.1.1
	ChunkIForwardTSN      ChunkType = 0xC2 // RFC 8260 2.3.1
)

// Chunk flags (RFC 9260 3.3.1, 3.3.7, 3.3.13; RFC 7053; RFC 8260; the
// PKTDROP draft). Which bits are meaningful depends on the chunk type.
const (
	FlagEnd       uint8 = 0x01 // E: last fragment (DATA, I-DATA)
	FlagBeginning uint8 = 0x02 // B: first fragment (DATA, I-DATA)
	FlagUnordered uint8 = 0x04 // U: unordered (DATA, I-DATA)
	FlagImmediate uint8 = 0x08 // I: SACK immediately (DATA, I-DATA; RFC 7053)
	FlagT         uint8 = 0x01 // T: Verification Tag reflected (ABORT, SHUTDOWN COMPLETE)

	FlagPktDropM uint8 = 0x01 // M: reported by a middlebox (PKTDROP)
	FlagPktDropB uint8 = 0x02 // B: dropped for a bad checksum (PKTDROP)
	FlagPktDropT uint8 = 0x04 // T: the data field is truncated (PKTDROP)
)

// Action is what RFC 9260 3.2 (chunks) and 3.2.1 (parameters) tell a
// receiver to do with a type it does not recognize, from the type's two
// highest bits.
type Action uint8

// Actions, with the two bits in the low positions.
const (
	ActionStop       Action = 0 // 00: stop processing, discard
	ActionStopReport Action = 1 // 01: stop, discard, report it
	ActionSkip       Action = 2 // 10: skip it, continue
	ActionSkipReport Action = 3 // 11: skip it, continue, report it
)

// Skip reports whether processing continues past the unrecognized item.
func (a Action) Skip() bool { return a&2 != 0 }

// Report reports whether the unrecognized item is to be reported to the peer
// (an ERROR with "Unrecognized Chunk Type" for chunks, "Unrecognized
// Parameters" for parameters).
func (a Action) Report() bool { return a&1 != 0 }

// Action gives the chunk type's action bits (RFC 9260 3.2).
func (t ChunkType) Action() Action { return Action(t >> 6) }

// Known reports whether this package parses the chunk type.
func (t ChunkType) Known() bool {
	return t <= ChunkNRSack || t == ChunkIData || t == ChunkAsconfAck || t == ChunkPktDrop ||
		t == ChunkReconfig || t == ChunkPad || t == ChunkForwardTSN || t == ChunkAsconf ||
		t == ChunkIForwardTSN
}

// String gives the RFC's name of the chunk type.
func (t ChunkType) String() string {
	switch t {
	case ChunkData:
		return "DATA"
	case ChunkInit:
		return "INIT"
	case ChunkInitAck:
		return "INIT ACK"
	case ChunkSack:
		return "SACK"
	case ChunkHeartbeat:
		return "HEARTBEAT"
	case ChunkHeartbeatAck:
		return "HEARTBEAT ACK"
	case ChunkAbort:
		return "ABORT"
	case ChunkShutdown:
		return "SHUTDOWN"
	case ChunkShutdownAck:
		return "SHUTDOWN ACK"
	case ChunkError:
		return "ERROR"
	case ChunkCookieEcho:
		return "COOKIE ECHO"
	case ChunkCookieAck:
		return "COOKIE ACK"
	case ChunkECNE:
		return "ECNE"
	case ChunkCWR:
		return "CWR"
	case ChunkShutdownComplete:
		return "SHUTDOWN COMPLETE"
	case ChunkAuth:
		return "AUTH"
	case ChunkNRSack:
		return "NR-SACK"
	case ChunkIData:
		return "I-DATA"
	case ChunkAsconfAck:
		return "ASCONF-ACK"
	case ChunkPktDrop:
		return "PKTDROP"
	case ChunkReconfig:
		return "RE-CONFIG"
	case ChunkPad:
		return "PAD"
	case ChunkForwardTSN:
		return "FORWARD-TSN"
	case ChunkAsconf:
		return "ASCONF"
	case ChunkIForwardTSN:
		return "I-FORWARD-TSN"
	}
	return "unknown"
}

// Chunk is a view of one chunk: header and value, without trailing padding.
type Chunk []byte

// Type is the Chunk Type.
func (c Chunk) Type() ChunkType { return ChunkType(c[0]) }

// Flags is the Chunk Flags byte.
func (c Chunk) Flags() uint8 { return c[1] }

// Length is the Chunk Length field (header and value, no padding).
func (c Chunk) Length() int { return int(binary.BigEndian.Uint16(c[2:])) }

// Value is the Chunk Value.
func (c Chunk) Value() []byte { return c[ChunkHeaderLen:] }

// ValidateChunk checks a chunk's body against its type's layout: minimum and
// exact lengths, counts derived from lengths, and nested parameters and
// error causes. c comes from a ChunkIter (a c whose length field is not
// len(c) is refused). Unknown types are accepted: the caller applies their
// action bits.
func ValidateChunk(c Chunk) error {
	if len(c) < ChunkHeaderLen || c.Length() != len(c) {
		return errChunkFraming
	}
	switch c.Type() {
	case ChunkData:
		return DataChunk(c).validate()
	case ChunkIData:
		return IDataChunk(c).validate()
	case ChunkInit:
		return InitChunk(c).validate(false)
	case ChunkInitAck:
		return InitChunk(c).validate(true)
	case ChunkSack:
		return SackChunk(c).validate()
	case ChunkNRSack:
		return NRSackChunk(c).validate()
	case ChunkHeartbeat, ChunkHeartbeatAck:
		return HeartbeatChunk(c).validate()
	case ChunkAbort, ChunkError:
		// Framing only: one malformed cause must not make a peer's ABORT
		// unreadable (RFC 9260 9.1 has no such exception). CauseIter skips
		// causes whose own layout is wrong.
		return validateTLVs(c[ChunkHeaderLen:])
	case ChunkShutdown:
		return exactLen(c, 8, errShutdownLen)
	case ChunkShutdownAck, ChunkCookieAck, ChunkShutdownComplete:
		return exactLen(c, 4, errEmptyChunkLen)
	case ChunkECNE, ChunkCWR:
		// RFC 9260 Appendix A gives 8 bytes; usrsctp and FreeBSD send a
		// 12-byte ECNE (a packet count follows) and accept both.
		if c.Length() < 8 {
			return errECNLen
		}
		return nil
	case ChunkCookieEcho, ChunkPad:
		return nil
	case ChunkAuth:
		return AuthChunk(c).validate()
	case ChunkAsconf:
		return AsconfChunk(c).validate()
	case ChunkAsconfAck:
		return AsconfAckChunk(c).validate()
	case ChunkReconfig:
		return ReconfigChunk(c).validate()
	case ChunkForwardTSN:
		return ForwardTSNChunk(c).validate()
	case ChunkIForwardTSN:
		return IForwardTSNChunk(c).validate()
	case ChunkPktDrop:
		return PktDropChunk(c).validate()
	}
	return nil
}

func exactLen(c Chunk, n int, err *Error) error {
	if len(c) != n {
		return err
	}
	return nil
}

func be16(b []byte) uint16 { return binary.BigEndian.Uint16(b) }
func be32(b []byte) uint32 { return binary.BigEndian.Uint32(b) }
