package bench

import (
	"encoding/binary"
	"hash/crc32"
	"net"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

// SCTPFrame is Ethernet, IPv4 (DF) and SCTP from port 40000 to dstPort
// with verification tag 1 and one DATA chunk (B and E, TSN tsn) carrying
// payload, checksums set (RFC 791; RFC 9260 3.1, 3.3.1 and appendix A).
// It is written out by hand, not with package wire, so that the receive
// benchmarks depend on nothing of ours to make their traffic.
func SCTPFrame(srcMAC, dstMAC net.HardwareAddr, src, dst netip.Addr, dstPort uint16, tsn uint32, payload []byte) []byte {
	chunk := 16 + len(payload)
	sctpLen := 12 + (chunk+3)&^3
	b := append(append(make([]byte, 0, 14+20+sctpLen), dstMAC...), srcMAC...)
	b = binary.BigEndian.AppendUint16(b, 0x0800)
	b = append(b, 0x45, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(20+sctpLen))
	b = append(b, 0, 0, 0x40, 0, 64, 132, 0, 0)
	b = append(b, src.AsSlice()...)
	b = append(b, dst.AsSlice()...)
	var sum uint32
	for i := 14; i < 34; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	binary.BigEndian.PutUint16(b[24:], ^uint16(sum))
	b = binary.BigEndian.AppendUint16(b, 40000)
	b = binary.BigEndian.AppendUint16(b, dstPort)
	b = append(b, 0, 0, 0, 1, 0, 0, 0, 0) // verification tag, checksum
	b = append(b, 0, 3)                   // DATA, flags B|E
	b = binary.BigEndian.AppendUint16(b, uint16(chunk))
	b = binary.BigEndian.AppendUint32(b, tsn)
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0) // stream, SSN, PPID
	b = append(b, payload...)
	for len(b)-34 < sctpLen {
		b = append(b, 0)
	}
	binary.LittleEndian.PutUint32(b[42:], crc32.Checksum(b[34:], crc32.MakeTable(crc32.Castagnoli)))
	return b
}

// ThreadCPU is the calling thread's CPU time (lock the goroutine to its
// thread around a measurement).
func ThreadCPU() time.Duration {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts)
	return time.Duration(ts.Nano())
}
