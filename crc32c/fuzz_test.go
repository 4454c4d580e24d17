package crc32c

import (
	"bytes"
	"hash/crc32"
	"testing"
)

// FuzzChecksum compares every implementation with hash/crc32 on arbitrary data, at an
// arbitrary start offset, with a starting crc, split at an arbitrary point, and checks
// PacketChecksum against a zeroed copy.
func FuzzChecksum(f *testing.F) {
	f.Add([]byte("123456789"), uint8(0), uint16(4), uint32(0))
	f.Add(bytes.Repeat([]byte{0xFF}, 300), uint8(3), uint16(100), uint32(0xFFFFFFFF))
	tab := crc32.MakeTable(crc32.Castagnoli)
	f.Fuzz(func(t *testing.T, data []byte, off uint8, split uint16, seed uint32) {
		// Copy behind an offset so the kernels see every alignment.
		buf := make([]byte, int(off%64)+len(data))
		p := buf[off%64:]
		copy(p, data)
		want := crc32.Update(seed, tab, p)
		s := int(split) % (len(p) + 1)
		for _, im := range allImpls() {
			if got := im.update(seed, p); got != want {
				t.Fatalf("%s: len %d off %d: %#08x, want %#08x", im.name, len(p), off%64, got, want)
			}
			if got := im.update(im.update(seed, p[:s]), p[s:]); got != want {
				t.Fatalf("%s: split at %d of %d: %#08x, want %#08x", im.name, s, len(p), got, want)
			}
		}
		z := bytes.Clone(p)
		for i := 8; i < 12 && i < len(z); i++ {
			z[i] = 0
		}
		if got, want := PacketChecksum(p), crc32.Checksum(z, tab); got != want {
			t.Fatalf("PacketChecksum len %d: %#08x, want %#08x", len(p), got, want)
		}
	})
}
