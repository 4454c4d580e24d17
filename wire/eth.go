package wire

import "encoding/binary"

// Ethernet II framing with up to two VLAN tags (IEEE 802.1Q C-tag, 802.1ad
// S-tag, "QinQ").

const (
	EthernetHeaderLen = 14 // destination, source, EtherType
	VLANTagLen        = 4  // TPID, TCI
	MaxVLANTags       = 2  // an outer S-tag and an inner C-tag

	EtherTypeIPv4 uint16 = 0x0800
	EtherTypeIPv6 uint16 = 0x86DD
	EtherTypeVLAN uint16 = 0x8100 // IEEE 802.1Q customer tag
	EtherTypeQinQ uint16 = 0x88A8 // IEEE 802.1ad service tag

	// EtherType values below this are IEEE 802.3 length fields.
	minEtherType uint16 = 0x0600
)

// VLANTag is one 802.1Q/802.1ad tag: the tag protocol identifier and the tag
// control information (PCP, DEI, VID).
type VLANTag struct {
	TPID uint16 // EtherTypeVLAN or EtherTypeQinQ; 0 marks an absent tag
	TCI  uint16
}

// PCP is the priority code point.
func (t VLANTag) PCP() uint8 { return uint8(t.TCI >> 13) }

// DEI is the drop eligible indicator.
func (t VLANTag) DEI() bool { return t.TCI&0x1000 != 0 }

// VID is the 12-bit VLAN identifier.
func (t VLANTag) VID() uint16 { return t.TCI & 0x0fff }

// EthernetHeader is a decoded Ethernet header with its VLAN tags.
type EthernetHeader struct {
	Destination [6]byte
	Source      [6]byte
	Tags        [MaxVLANTags]VLANTag // outermost first; a tag with TPID 0 and those after it are absent
	EtherType   uint16               // of the payload, after the tags
}

// NumTags is the number of VLAN tags present.
func (h *EthernetHeader) NumTags() int {
	n := 0
	for n < MaxVLANTags && h.Tags[n].TPID != 0 {
		n++
	}
	return n
}

// Len is the encoded length of the header with its tags.
func (h *EthernetHeader) Len() int { return EthernetHeaderLen + VLANTagLen*h.NumTags() }

var (
	errEthTruncated     = &Error{What: "Ethernet: header", Kind: ErrTruncated}
	errEthVLANTruncated = &Error{What: "Ethernet: VLAN tag", Kind: ErrTruncated}
	errEthTooManyTags   = &Error{What: "Ethernet: more than two VLAN tags", Kind: ErrUnsupported}
	errEthInnerSTag     = &Error{What: "Ethernet: 802.1ad S-tag inside another tag", Kind: ErrValue}
	errEth8023          = &Error{What: "Ethernet: 802.3 length field, not an EtherType", Kind: ErrUnsupported}
)

// ParseEthernet decodes the Ethernet header at the start of b and returns it
// with the offset of its payload. An 802.1ad S-tag is accepted only as the
// outer tag; a third tag is ErrUnsupported.
func ParseEthernet(b []byte) (h EthernetHeader, payloadOffset int, err error) {
	if len(b) < EthernetHeaderLen {
		return h, 0, errEthTruncated
	}
	copy(h.Destination[:], b[0:6])
	copy(h.Source[:], b[6:12])
	off := 12
	et := binary.BigEndian.Uint16(b[off:])
	for n := 0; et == EtherTypeVLAN || et == EtherTypeQinQ; n++ {
		if n == MaxVLANTags {
			return h, 0, errEthTooManyTags
		}
		if n > 0 && et == EtherTypeQinQ {
			return h, 0, errEthInnerSTag
		}
		if len(b) < off+VLANTagLen+2 {
			return h, 0, errEthVLANTruncated
		}
		h.Tags[n] = VLANTag{TPID: et, TCI: binary.BigEndian.Uint16(b[off+2:])}
		off += VLANTagLen
		et = binary.BigEndian.Uint16(b[off:])
	}
	if et < minEtherType {
		return h, 0, errEth8023
	}
	h.EtherType = et
	return h, off + 2, nil
}

// AppendEthernet appends h (with its tags) to b.
func AppendEthernet(b []byte, h *EthernetHeader) []byte {
	b = append(b, h.Destination[:]...)
	b = append(b, h.Source[:]...)
	for i := 0; i < MaxVLANTags && h.Tags[i].TPID != 0; i++ {
		b = binary.BigEndian.AppendUint16(b, h.Tags[i].TPID)
		b = binary.BigEndian.AppendUint16(b, h.Tags[i].TCI)
	}
	return binary.BigEndian.AppendUint16(b, h.EtherType)
}
