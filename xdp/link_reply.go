package xdp

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// EtherTypes and VLAN tag protocol identifiers (IEEE 802.1Q).
const (
	EtherTypeIPv4   = 0x0800
	EtherTypeIPv6   = 0x86dd
	tpid8021Q       = 0x8100
	tpid8021AD      = 0x88a8
	tpidQinQLegacy  = 0x9100
	minEtherType    = 0x0600 // smaller values are 802.3 lengths
	ethHeaderLen    = 14
	vlanTagLen      = 4
	maxVLANTags     = 2
	ethAddrGroupBit = 0x01 // I/G bit of the first octet
)

// ErrBadFrame is returned, wrapped, for a frame whose link-layer header
// cannot be answered: too short, a group or zero source address, an 802.3
// length instead of an EtherType, or more VLAN tags than 802.1ad stacks.
var ErrBadFrame = errors.New("unanswerable link-layer header")

// L2Header is an Ethernet II header with up to two VLAN tags, outermost
// first, as we write it in front of a packet.
type L2Header struct {
	Dst, Src  [6]byte
	Tags      [maxVLANTags]uint32 // TPID<<16 | TCI
	NTags     int
	EtherType uint16
}

// Len is the header's length on the wire.
func (h *L2Header) Len() int { return ethHeaderLen + vlanTagLen*h.NTags }

// Put writes the header at the start of b and returns its length, or 0
// when b is too short or NTags is out of range.
func (h *L2Header) Put(b []byte) int {
	if h.NTags < 0 || h.NTags > maxVLANTags || len(b) < h.Len() {
		return 0
	}
	copy(b[0:6], h.Dst[:])
	copy(b[6:12], h.Src[:])
	off := 12
	for _, tag := range h.Tags[:h.NTags] {
		binary.BigEndian.PutUint32(b[off:], tag)
		off += vlanTagLen
	}
	binary.BigEndian.PutUint16(b[off:], h.EtherType)
	return off + 2
}

// L2 is the header for a frame along this next hop.
func (h *NextHop) L2(etherType uint16) L2Header {
	return L2Header{Dst: h.DstMAC, Src: h.SrcMAC, EtherType: etherType}
}

// ReplyL2 returns the header of a reply to a received Ethernet frame: to its
// link-layer source, from ourMAC (the frame may have been broadcast or
// multicast, and we never answer from those), with the frame's VLAN tags and
// EtherType. It also returns where the frame's network header starts.
//
// Stateless replies (INIT ACK, ABORT to out-of-the-blue packets) use it
// instead of a neighbour lookup: answering a flood of spoofed INITs then
// creates no neighbour entry, in the kernel or in RouteCache, and costs no
// resolution (design section 4). The caller decides that the source is
// on-link, or a router that delivered the frame and will carry the reply.
func ReplyL2(frame []byte, ourMAC [6]byte) (L2Header, int, error) {
	var h L2Header
	if len(frame) < ethHeaderLen {
		return h, 0, fmt.Errorf("xdp: %d-byte frame: %w", len(frame), ErrBadFrame)
	}
	copy(h.Dst[:], frame[6:12])
	if h.Dst[0]&ethAddrGroupBit != 0 || h.Dst == ([6]byte{}) {
		return h, 0, fmt.Errorf("xdp: source address %x is not an individual address: %w", h.Dst, ErrBadFrame)
	}
	h.Src = ourMAC
	off := 12
	for {
		if len(frame) < off+2 {
			return h, 0, fmt.Errorf("xdp: frame ends inside its VLAN tags: %w", ErrBadFrame)
		}
		t := binary.BigEndian.Uint16(frame[off:])
		if t != tpid8021Q && t != tpid8021AD && t != tpidQinQLegacy {
			if t < minEtherType {
				return h, 0, fmt.Errorf("xdp: 802.3 length %d, not an EtherType: %w", t, ErrBadFrame)
			}
			h.EtherType = t
			return h, off + 2, nil
		}
		if h.NTags == maxVLANTags {
			return h, 0, fmt.Errorf("xdp: more than %d VLAN tags: %w", maxVLANTags, ErrBadFrame)
		}
		if len(frame) < off+vlanTagLen+2 {
			return h, 0, fmt.Errorf("xdp: frame ends inside its VLAN tags: %w", ErrBadFrame)
		}
		h.Tags[h.NTags] = binary.BigEndian.Uint32(frame[off:])
		h.NTags++
		off += vlanTagLen
	}
}
