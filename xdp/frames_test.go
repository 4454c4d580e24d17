package xdp_test

import (
	"encoding/binary"
	"hash/crc32"
	"net"
	"net/netip"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// sctpFrame builds Ethernet + IPv4/IPv6 (RFC 791, RFC 8200) + SCTP common
// header with one DATA chunk (RFC 9260 sections 3.1, 3.3.1) into b, with
// the IPv4 header checksum and the SCTP CRC32c (RFC 9260 appendix A) set.
func sctpFrame(b []byte, srcMAC, dstMAC net.HardwareAddr, src, dst netip.Addr, sport, dport uint16, vtag, tsn uint32, payload []byte) []byte {
	b = append(b[:0], dstMAC...)
	b = append(b, srcMAC...)
	chunkLen := 16 + len(payload)
	sctpLen := 12 + (chunkLen+3)&^3
	if src.Is4() {
		b = binary.BigEndian.AppendUint16(b, 0x0800)
		ip := len(b)
		b = append(b, 0x45, 0)
		b = binary.BigEndian.AppendUint16(b, uint16(20+sctpLen))
		b = append(b, 0, 0, 0x40, 0, 64, 132, 0, 0) // ID 0, DF, TTL 64
		b = append(b, src.AsSlice()...)
		b = append(b, dst.AsSlice()...)
		var sum uint32
		for i := ip; i < ip+20; i += 2 {
			sum += uint32(b[i])<<8 | uint32(b[i+1])
		}
		sum = sum>>16 + sum&0xffff
		sum += sum >> 16
		binary.BigEndian.PutUint16(b[ip+10:], ^uint16(sum))
	} else {
		b = binary.BigEndian.AppendUint16(b, 0x86dd)
		b = append(b, 0x60, 0, 0, 0)
		b = binary.BigEndian.AppendUint16(b, uint16(sctpLen))
		b = append(b, 132, 64)
		b = append(b, src.AsSlice()...)
		b = append(b, dst.AsSlice()...)
	}
	sc := len(b)
	b = binary.BigEndian.AppendUint16(b, sport)
	b = binary.BigEndian.AppendUint16(b, dport)
	b = binary.BigEndian.AppendUint32(b, vtag)
	b = append(b, 0, 0, 0, 0)
	b = append(b, 0, 3) // DATA, B and E
	b = binary.BigEndian.AppendUint16(b, uint16(chunkLen))
	b = binary.BigEndian.AppendUint32(b, tsn)
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0) // stream 0, SSN 0, PPID 0
	b = append(b, payload...)
	for len(b)-sc < sctpLen {
		b = append(b, 0)
	}
	binary.LittleEndian.PutUint32(b[sc+8:], crc32.Checksum(b[sc:], castagnoli))
	return b
}
