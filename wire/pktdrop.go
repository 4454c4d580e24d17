package wire

// PktDropHeaderLen is the length of a PKTDROP chunk without its data field.
const PktDropHeaderLen = 16

// PktDropChunk is a view of a PKTDROP chunk (type 0x81,
// draft-stewart-sctp-pktdrprep, as usrsctp and Wireshark lay it out):
// Bottleneck Bandwidth, Current Queue Size, Truncated Length, Reserved, then
// the dropped packet (possibly truncated). RFC 9260 implementations only
// receive, count and ignore it (design 5).
type PktDropChunk []byte

// M reports the M bit (reported by a middlebox).
func (c PktDropChunk) M() bool { return c[1]&FlagPktDropM != 0 }

// B reports the B bit (dropped for a bad checksum).
func (c PktDropChunk) B() bool { return c[1]&FlagPktDropB != 0 }

// T reports the T bit (the data field is truncated).
func (c PktDropChunk) T() bool { return c[1]&FlagPktDropT != 0 }

// Bandwidth is the Bottleneck Bandwidth.
func (c PktDropChunk) Bandwidth() uint32 { return be32(c[4:]) }

// QueueSize is the Current Queue Size.
func (c PktDropChunk) QueueSize() uint32 { return be32(c[8:]) }

// TruncatedLength is the original length of a truncated dropped packet.
func (c PktDropChunk) TruncatedLength() uint16 { return be16(c[12:]) }

// Reserved is the reserved field.
func (c PktDropChunk) Reserved() uint16 { return be16(c[14:]) }

// Dropped is the data field: the (start of the) dropped SCTP packet.
func (c PktDropChunk) Dropped() []byte { return c[PktDropHeaderLen:] }

func (c PktDropChunk) validate() error {
	if len(c) < PktDropHeaderLen {
		return errPktDropShort
	}
	return nil
}
