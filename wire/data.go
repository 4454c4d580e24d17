package wire

// DataHeaderLen is the length of a DATA chunk without user data (RFC 9260 3.3.1).
const DataHeaderLen = 16

// DataChunk is a view of a DATA chunk (RFC 9260 3.3.1).
type DataChunk []byte

// Flags is the chunk flags byte.
func (c DataChunk) Flags() uint8 { return c[1] }

// U reports the unordered bit.
func (c DataChunk) U() bool { return c[1]&FlagUnordered != 0 }

// B reports the beginning-fragment bit.
func (c DataChunk) B() bool { return c[1]&FlagBeginning != 0 }

// E reports the ending-fragment bit.
func (c DataChunk) E() bool { return c[1]&FlagEnd != 0 }

// I reports the SACK-IMMEDIATELY bit (RFC 7053).
func (c DataChunk) I() bool { return c[1]&FlagImmediate != 0 }

// TSN is the Transmission Sequence Number.
func (c DataChunk) TSN() uint32 { return be32(c[4:]) }

// StreamID is the Stream Identifier S.
func (c DataChunk) StreamID() uint16 { return be16(c[8:]) }

// SSN is the Stream Sequence Number n.
func (c DataChunk) SSN() uint16 { return be16(c[10:]) }

// PPID is the Payload Protocol Identifier.
func (c DataChunk) PPID() uint32 { return be32(c[12:]) }

// Payload is the user data.
func (c DataChunk) Payload() []byte { return c[DataHeaderLen:] }

func (c DataChunk) validate() error {
	if len(c) < DataHeaderLen {
		return errDataShort
	}
	// RFC 9260 6.2: a DATA chunk without user data is answered with an ABORT
	// carrying "No User Data".
	if len(c) == DataHeaderLen {
		return errDataEmpty
	}
	return nil
}

// IDataHeaderLen is the length of an I-DATA chunk without user data (RFC 8260 2.1).
const IDataHeaderLen = 20

// IDataChunk is a view of an I-DATA chunk (RFC 8260 2.1).
type IDataChunk []byte

// Flags is the chunk flags byte.
func (c IDataChunk) Flags() uint8 { return c[1] }

// U reports the unordered bit.
func (c IDataChunk) U() bool { return c[1]&FlagUnordered != 0 }

// B reports the beginning-fragment bit.
func (c IDataChunk) B() bool { return c[1]&FlagBeginning != 0 }

// E reports the ending-fragment bit.
func (c IDataChunk) E() bool { return c[1]&FlagEnd != 0 }

// I reports the SACK-IMMEDIATELY bit (RFC 7053).
func (c IDataChunk) I() bool { return c[1]&FlagImmediate != 0 }

// TSN is the Transmission Sequence Number.
func (c IDataChunk) TSN() uint32 { return be32(c[4:]) }

// StreamID is the Stream Identifier.
func (c IDataChunk) StreamID() uint16 { return be16(c[8:]) }

// Reserved is the 16-bit reserved field.
func (c IDataChunk) Reserved() uint16 { return be16(c[10:]) }

// MID is the Message Identifier.
func (c IDataChunk) MID() uint32 { return be32(c[12:]) }

// PPIDOrFSN is the shared field: the Payload Protocol Identifier when B is
// set, else the Fragment Sequence Number (RFC 8260 2.1).
func (c IDataChunk) PPIDOrFSN() uint32 { return be32(c[16:]) }

// Payload is the user data.
func (c IDataChunk) Payload() []byte { return c[IDataHeaderLen:] }

func (c IDataChunk) validate() error {
	if len(c) < IDataHeaderLen {
		return errIDataShort
	}
	if len(c) == IDataHeaderLen {
		return errIDataEmpty
	}
	return nil
}
