package crc32c

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"testing"
)

// Known-good SCTP packets (common header onward) built with scapy 2.5 and checked by tshark 4.0
// with -o "sctp.checksum:CRC 32c" (sctp.checksum.status Good); tshark shows the field as the
// bytes in packet order.
var sctpVectors = []struct {
	name, hex string
	field     uint32 // the CRC32c value, stored little-endian at offset 8
}{
	{"INIT 5000->7", "13880007000000003df28773010000143a9c1e570001a000000a08003a9c1e57", 0x7387f23d},
	{"DATA 7->5000", "000713883a9c1e579aa6b1450000007011223344000100000000003354686520717569636b2062726f776e20666f78206a756d7073206f76657220746865206c617a7920646f672c2074776963653a2074686520717569636b2062726f776e20666f78206a756d7073206f76657220746865206c617a7920646f672e", 0x45b1a69a},
	{"INIT 5000->5001", "138813890102030447855622010000141122334400010000000a000a00000001", 0x22568547},
}

func TestPacketVectors(t *testing.T) {
	for _, v := range sctpVectors {
		pkt, err := hex.DecodeString(v.hex)
		if err != nil {
			t.Fatal(err)
		}
		orig := bytes.Clone(pkt)
		if f, ok := Field(pkt); !ok || f != v.field {
			t.Errorf("%s: Field = %#08x, %v; want %#08x", v.name, f, ok, v.field)
		}
		for _, im := range allImpls() {
			if got := packetChecksum(im.update, pkt); got != v.field {
				t.Errorf("%s: %s: packet checksum %#08x, want %#08x", v.name, im.name, got, v.field)
			}
		}
		if !Verify(pkt) {
			t.Errorf("%s: Verify = false", v.name)
		}
		if !bytes.Equal(pkt, orig) {
			t.Fatalf("%s: PacketChecksum or Verify wrote to the packet", v.name)
		}
		// Stamp reproduces the field from zero and from garbage.
		for _, fill := range []uint32{0, 0xFFFFFFFF, 0x12345678} {
			binary.LittleEndian.PutUint32(pkt[8:], fill)
			if fill != v.field && Verify(pkt) {
				t.Errorf("%s: Verify true with field %#08x", v.name, fill)
			}
			Stamp(pkt)
			if !bytes.Equal(pkt, orig) {
				t.Errorf("%s: Stamp gave % x, want % x", v.name, pkt[8:12], orig[8:12])
			}
		}
		// Any single-bit error outside the field is detected.
		for i := 0; i < len(pkt)*8; i++ {
			if i/8 >= 8 && i/8 < 12 {
				continue
			}
			pkt[i/8] ^= 1 << (i % 8)
			if Verify(pkt) {
				t.Errorf("%s: bit %d flipped, Verify still true", v.name, i)
			}
			pkt[i/8] ^= 1 << (i % 8)
		}
	}
}

// TestPacketChecksumMatchesZeroedCopy checks the no-copy field skipping against the obvious
// implementation on random packets of every length 0..300 and a few long ones, including
// lengths below the 12-byte header (bytes 8..11 read as zero where present).
func TestPacketChecksumMatchesZeroedCopy(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	lengths := []int{1500, 4096, 9000, 65535}
	for n := 0; n <= 300; n++ {
		lengths = append(lengths, n)
	}
	for _, n := range lengths {
		pkt := make([]byte, n)
		for i := range pkt {
			pkt[i] = byte(r.Uint32())
		}
		z := bytes.Clone(pkt)
		for i := 8; i < 12 && i < n; i++ {
			z[i] = 0
		}
		want := Checksum(z)
		for _, im := range allImpls() {
			if got := packetChecksum(im.update, pkt); got != want {
				t.Fatalf("%s: len %d: %#08x, want %#08x", im.name, n, got, want)
			}
		}
		if got := PacketChecksum(pkt); got != want {
			t.Fatalf("PacketChecksum len %d: %#08x, want %#08x", n, got, want)
		}
		if n < 12 {
			orig := bytes.Clone(pkt)
			if Verify(pkt) {
				t.Errorf("Verify(%d bytes) = true", n)
			}
			Stamp(pkt)
			if !bytes.Equal(pkt, orig) {
				t.Errorf("Stamp changed a %d-byte packet", n)
			}
			if _, ok := Field(pkt); ok {
				t.Errorf("Field(%d bytes) ok", n)
			}
		} else {
			Stamp(pkt)
			if !Verify(pkt) {
				t.Errorf("len %d: Verify after Stamp = false", n)
			}
		}
	}
}
