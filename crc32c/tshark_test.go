package crc32c_test

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/sctp-xdp/sctp-xdp/crc32c"
	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
)

// TestStampTshark has tshark verify the checksums Stamp writes into SCTP packets of many sizes
// (Dissect fails the test on any checksum that is not Good).
func TestStampTshark(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	var frames [][]byte
	for _, payload := range []int{1, 3, 4, 17, 64, 255, 256, 1000, 1452, 4000, 8952, 9001} {
		frames = append(frames, sctpFrame(r, payload))
	}
	pkts := testbed.Dissect(t, testbed.WritePcap(t, frames), "sctp.checksum")
	if len(pkts) != len(frames) {
		t.Fatalf("tshark decoded %d packets, want %d", len(pkts), len(frames))
	}
	for i, p := range pkts {
		if p.Get("sctp.checksum.status") != "1" {
			t.Errorf("frame %d: sctp.checksum.status %q, want Good (1)", i+1, p.Get("sctp.checksum.status"))
		}
	}
}

// sctpFrame is Ethernet + IPv4 (198.18.0.1 -> 198.18.0.2) + SCTP with one DATA chunk
// (RFC 9260 Section 3.3.1) of n random payload bytes, stamped.
func sctpFrame(r *rand.Rand, n int) []byte {
	chunkLen := 16 + n
	sctpLen := 12 + (chunkLen+3)&^3
	f := make([]byte, 14+20+sctpLen)
	copy(f[0:6], []byte{0x02, 0, 0, 0, 0, 2})
	copy(f[6:12], []byte{0x02, 0, 0, 0, 0, 1})
	binary.BigEndian.PutUint16(f[12:], 0x0800)
	ip := f[14:34]
	ip[0], ip[8], ip[9] = 0x45, 64, 132 // IPv4, IHL 5; TTL; protocol SCTP
	binary.BigEndian.PutUint16(ip[2:], uint16(20+sctpLen))
	binary.BigEndian.PutUint16(ip[6:], 0x4000) // DF
	copy(ip[12:], []byte{198, 18, 0, 1, 198, 18, 0, 2})
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(ip[i:]))
	}
	for sum > 0xFFFF {
		sum = sum&0xFFFF + sum>>16
	}
	binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
	s := f[34:]
	binary.BigEndian.PutUint16(s[0:], 5000)
	binary.BigEndian.PutUint16(s[2:], 5001)
	binary.BigEndian.PutUint32(s[4:], r.Uint32()|1)
	c := s[12:]
	c[0], c[1] = 0, 3 // DATA, B and E
	binary.BigEndian.PutUint16(c[2:], uint16(chunkLen))
	binary.BigEndian.PutUint32(c[4:], r.Uint32()) // TSN
	binary.BigEndian.PutUint32(c[12:], 51)        // PPID
	for i := 16; i < chunkLen; i++ {
		c[i] = byte(r.Uint32())
	}
	crc32c.Stamp(s)
	return f
}
