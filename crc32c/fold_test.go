package crc32c

import (
	"math/bits"
	"testing"
)

// polyNormal is CRC32c's generator without its x^32 term, most significant bit first
// (RFC 3720 Section 12.1: 0x1EDC6F41); the reflected form 0x82F63B78 is its bit reversal.
const polyNormal = 0x1EDC6F41

// xPowMod returns x^k mod P in normal (unreflected) bit order, by repeated shifting.
func xPowMod(k int) uint32 {
	r := uint32(1) // x^0
	for ; k > 0; k-- {
		carry := r & 0x80000000
		r <<= 1
		if carry != 0 {
			r ^= polyNormal
		}
	}
	return r
}

// foldPair is the constant pair that folds a 128-bit lane forward by d bits.
func foldPair(d int) [2]uint64 {
	return [2]uint64{
		uint64(bits.Reverse32(xPowMod(d+63))) << 32,
		uint64(bits.Reverse32(xPowMod(d-1))) << 32,
	}
}

func TestFoldConsts(t *testing.T) {
	if got := bits.Reverse32(polyNormal); got != 0x82F63B78 {
		t.Fatalf("reflected polynomial %#x, want 0x82F63B78", got)
	}
	for i, d := range []int{2048, 512, 384, 256, 128} {
		want := foldPair(d)
		got := [2]uint64{foldConsts[2*i], foldConsts[2*i+1]}
		if got != want {
			t.Errorf("fold by %d bits: foldConsts[%d:%d] = %#016x, want %#016x", d, 2*i, 2*i+2, got, want)
		}
	}
	if got, want := [2]uint64{foldConsts[12], foldConsts[13]}, foldPair(4096); got != want {
		t.Errorf("fold by 4096 bits: foldConsts[12:14] = %#016x, want %#016x", got, want)
	}
	if foldConsts[10] != 0 || foldConsts[11] != 0 {
		t.Errorf("foldConsts[10:12] = %#x, want zeros", foldConsts[10:12])
	}
}

func reverse32(v uint32) uint32 { return bits.Reverse32(v) }
