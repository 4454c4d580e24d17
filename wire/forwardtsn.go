package wire

// ForwardTSNChunk is a view of a FORWARD-TSN chunk (RFC 3758 3.2).
type ForwardTSNChunk []byte

// NewCumTSN is the New Cumulative TSN.
func (c ForwardTSNChunk) NewCumTSN() uint32 { return be32(c[4:]) }

// NumStreams is the number of (Stream, Stream Sequence) entries.
func (c ForwardTSNChunk) NumStreams() int { return (len(c) - 8) / 4 }

// Stream returns entry i: the stream and its stream sequence number.
func (c ForwardTSNChunk) Stream(i int) (sid, ssn uint16) {
	o := 8 + 4*i
	return be16(c[o:]), be16(c[o+2:])
}

func (c ForwardTSNChunk) validate() error {
	if len(c) < 8 || (len(c)-8)%4 != 0 {
		return errForwardTSNLen
	}
	return nil
}

// IForwardTSNChunk is a view of an I-FORWARD-TSN chunk (RFC 8260 2.3.1).
type IForwardTSNChunk []byte

// NewCumTSN is the New Cumulative TSN.
func (c IForwardTSNChunk) NewCumTSN() uint32 { return be32(c[4:]) }

// NumStreams is the number of (Stream, flags, MID) entries.
func (c IForwardTSNChunk) NumStreams() int { return (len(c) - 8) / 8 }

// Stream returns entry i: stream, U bit (unordered), message identifier.
func (c IForwardTSNChunk) Stream(i int) (sid uint16, unordered bool, mid uint32) {
	o := 8 + 8*i
	return be16(c[o:]), c[o+3]&1 != 0, be32(c[o+4:])
}

// StreamReserved returns the 15 reserved bits of entry i.
func (c IForwardTSNChunk) StreamReserved(i int) uint16 { return be16(c[8+8*i+2:]) >> 1 }

func (c IForwardTSNChunk) validate() error {
	if len(c) < 8 || (len(c)-8)%8 != 0 {
		return errIForwardTSNLen
	}
	return nil
}
