package crc32c

// Arithmetic modulo P in the bit-reflected representation (bit i is the coefficient of
// x^(31-i)), used to build shift tables at start-up.

const polyReflected = 0x82F63B78

// mulModReflected returns a·b mod P.
func mulModReflected(a, b uint32) uint32 {
	var r uint32
	for i := 0; i < 32; i++ {
		if a&(1<<(31-i)) != 0 { // a has x^i: add b·x^i
			r ^= b
		}
		// b *= x
		if b&1 != 0 {
			b = b>>1 ^ polyReflected
		} else {
			b >>= 1
		}
	}
	return r
}

// xPowModReflected returns x^k mod P by square and multiply.
func xPowModReflected(k int) uint32 {
	r, sq := uint32(1<<31), uint32(1<<30) // x^0, x^1
	for ; k > 0; k >>= 1 {
		if k&1 != 0 {
			r = mulModReflected(r, sq)
		}
		sq = mulModReflected(sq, sq)
	}
	return r
}
