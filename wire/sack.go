package wire

// SackHeaderLen is the length of a SACK chunk without gap blocks or
// duplicate TSNs (RFC 9260 3.3.4).
const SackHeaderLen = 16

// GapBlock is a Gap Ack Block: offsets from the Cumulative TSN Ack.
type GapBlock struct{ Start, End uint16 }

// SackChunk is a view of a SACK chunk (RFC 9260 3.3.4). Gap blocks and
// duplicate TSNs are read by index: 0 <= i < NumGapBlocks(), NumDupTSNs().
type SackChunk []byte

// CumTSNAck is the Cumulative TSN Ack.
func (c SackChunk) CumTSNAck() uint32 { return be32(c[4:]) }

// ARwnd is the Advertised Receiver Window Credit.
func (c SackChunk) ARwnd() uint32 { return be32(c[8:]) }

// NumGapBlocks is the Number of Gap Ack Blocks.
func (c SackChunk) NumGapBlocks() int { return int(be16(c[12:])) }

// NumDupTSNs is the Number of Duplicate TSNs.
func (c SackChunk) NumDupTSNs() int { return int(be16(c[14:])) }

// GapBlock returns gap block i.
func (c SackChunk) GapBlock(i int) GapBlock {
	o := SackHeaderLen + 4*i
	return GapBlock{be16(c[o:]), be16(c[o+2:])}
}

// DupTSN returns duplicate TSN i.
func (c SackChunk) DupTSN(i int) uint32 {
	return be32(c[SackHeaderLen+4*c.NumGapBlocks()+4*i:])
}

func (c SackChunk) validate() error {
	if len(c) < SackHeaderLen {
		return errSackShort
	}
	// The counts and the length must agree exactly.
	if SackHeaderLen+4*c.NumGapBlocks()+4*c.NumDupTSNs() != len(c) {
		return errSackCounts
	}
	return nil
}

// NRSackHeaderLen is the length of an NR-SACK chunk without blocks.
const NRSackHeaderLen = 20

// NRSackChunk is a view of an NR-SACK chunk (type 0x10, as usrsctp and
// Wireshark define it): Cumulative TSN Ack, a_rwnd, the numbers of gap
// blocks, of NR gap blocks and of duplicate TSNs, a reserved field, then the
// gap blocks, the NR gap blocks and the duplicate TSNs.
type NRSackChunk []byte

// CumTSNAck is the Cumulative TSN Ack.
func (c NRSackChunk) CumTSNAck() uint32 { return be32(c[4:]) }

// ARwnd is the Advertised Receiver Window Credit.
func (c NRSackChunk) ARwnd() uint32 { return be32(c[8:]) }

// NumGapBlocks is the number of (renegable) gap blocks.
func (c NRSackChunk) NumGapBlocks() int { return int(be16(c[12:])) }

// NumNRGapBlocks is the number of non-renegable gap blocks.
func (c NRSackChunk) NumNRGapBlocks() int { return int(be16(c[14:])) }

// NumDupTSNs is the number of duplicate TSNs.
func (c NRSackChunk) NumDupTSNs() int { return int(be16(c[16:])) }

// Reserved is the reserved field.
func (c NRSackChunk) Reserved() uint16 { return be16(c[18:]) }

// GapBlock returns gap block i.
func (c NRSackChunk) GapBlock(i int) GapBlock {
	o := NRSackHeaderLen + 4*i
	return GapBlock{be16(c[o:]), be16(c[o+2:])}
}

// NRGapBlock returns non-renegable gap block i.
func (c NRSackChunk) NRGapBlock(i int) GapBlock {
	o := NRSackHeaderLen + 4*(c.NumGapBlocks()+i)
	return GapBlock{be16(c[o:]), be16(c[o+2:])}
}

// DupTSN returns duplicate TSN i.
func (c NRSackChunk) DupTSN(i int) uint32 {
	return be32(c[NRSackHeaderLen+4*(c.NumGapBlocks()+c.NumNRGapBlocks()+i):])
}

func (c NRSackChunk) validate() error {
	if len(c) < NRSackHeaderLen {
		return errNRSackShort
	}
	if NRSackHeaderLen+4*(c.NumGapBlocks()+c.NumNRGapBlocks()+c.NumDupTSNs()) != len(c) {
		return errNRSackCounts
	}
	return nil
}
