package crc32c

import (
	"hash/crc32"
	"math/rand/v2"
	"testing"
)

// TestLongBuffers covers the long-buffer paths (several hybrid calls, every block count near
// the table limit) at odd offsets.
func TestLongBuffers(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	buf := make([]byte, 300_000)
	for i := range buf {
		buf[i] = byte(r.Uint32())
	}
	lengths := []int{65536, 9000, 1 << 17, len(buf) - 64}
	for n := 1; n <= 130; n++ {
		lengths = append(lengths, n*992-1, n*992, n*992+17) // around whole hybrid blocks (hybridBlock on amd64)
	}
	for trial := 0; trial < 40; trial++ {
		lengths = append(lengths, r.IntN(len(buf)-64))
	}
	tab := crc32.MakeTable(crc32.Castagnoli)
	for _, im := range allImpls() {
		if im.name == "generic" {
			continue // same code as the reference on long input; TestAllLengthsOffsets covers it
		}
		for _, n := range lengths {
			off := r.IntN(64)
			p := buf[off : off+n]
			seed := r.Uint32()
			if got, want := im.update(seed, p), crc32.Update(seed, tab, p); got != want {
				t.Errorf("%s: len %d off %d: %#08x, want %#08x", im.name, n, off, got, want)
			}
		}
	}
}

func TestGF2(t *testing.T) {
	for _, k := range []int{0, 1, 31, 32, 33, 100, 543, 4096, 100000} {
		if got, want := xPowModReflected(k), reverse32(xPowMod(k)); got != want {
			t.Errorf("x^%d mod P = %#08x, want %#08x", k, got, want)
		}
	}
}
