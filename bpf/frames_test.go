package bpf

import (
	"encoding/binary"
	"net/netip"
)

// Hand-built frames for the program tests. Checksums are left zero: the
// program reads none.

var (
	macA = []byte{0x02, 0, 0, 0, 0, 0xa}
	macB = []byte{0x02, 0, 0, 0, 0, 0xb}
)

func ether(typ uint16, payload []byte, vlans ...uint16) []byte {
	b := append(append([]byte{}, macA...), macB...)
	for _, tpid := range vlans {
		b = binary.BigEndian.AppendUint16(b, tpid)
		b = binary.BigEndian.AppendUint16(b, 42) // TCI: VLAN 42
	}
	b = binary.BigEndian.AppendUint16(b, typ)
	return append(b, payload...)
}

// ipv4 builds an IPv4 header (RFC 791) with opts (a multiple of 4 bytes)
// and frag = flags<<13 | offset.
func ipv4(src, dst netip.Addr, proto byte, frag uint16, opts, payload []byte) []byte {
	hl := 20 + len(opts)
	b := make([]byte, hl, hl+len(payload))
	b[0] = 0x40 | byte(hl/4)
	binary.BigEndian.PutUint16(b[2:], uint16(hl+len(payload)))
	binary.BigEndian.PutUint16(b[6:], frag)
	b[8] = 64
	b[9] = proto
	s, d := src.As4(), dst.As4()
	copy(b[12:], s[:])
	copy(b[16:], d[:])
	copy(b[20:], opts)
	return append(b, payload...)
}

// ext is an IPv6 extension header: next header, then the body.
type ext struct {
	kind byte // its own type, as named in the previous header
	body []byte
}

// ipv6 builds an IPv6 header (RFC 8200) followed by extension headers.
func ipv6(src, dst netip.Addr, proto byte, exts []ext, payload []byte) []byte {
	b := make([]byte, 40)
	b[0] = 0x60
	b[7] = 64
	s, d := src.As16(), dst.As16()
	copy(b[8:], s[:])
	copy(b[24:], d[:])
	first := proto
	if len(exts) > 0 {
		first = exts[0].kind
	}
	b[6] = first
	for i, e := range exts {
		next := proto
		if i+1 < len(exts) {
			next = exts[i+1].kind
		}
		h := append([]byte{next, 0}, e.body...)
		switch e.kind {
		case 44: // fragment: fixed 8 bytes
		case 51: // AH: length in 4-byte units minus 2
			h[1] = byte(len(h)/4 - 2)
		default: // 8-byte units minus 1
			h[1] = byte(len(h)/8 - 1)
		}
		b = append(b, h...)
	}
	binary.BigEndian.PutUint16(b[4:], uint16(len(b)-40+len(payload)))
	return append(b, payload...)
}

// sctp is an SCTP common header (RFC 9260 section 3.1) with a DATA-ish body.
func sctp(sport, dport uint16) []byte {
	b := make([]byte, 12, 28)
	binary.BigEndian.PutUint16(b[0:], sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	binary.BigEndian.PutUint32(b[4:], 0x01020304)
	return append(b, 0, 0, 0, 16, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)
}

func l4ports(sport, dport uint16, n int) []byte {
	b := make([]byte, n)
	binary.BigEndian.PutUint16(b[0:], sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	return b
}

// icmpErr builds an ICMP or ICMPv6 message of typ/code quoting q.
func icmpErr(typ, code byte, q []byte) []byte {
	return append([]byte{typ, code, 0, 0, 0, 0, 0, 0}, q...)
}
