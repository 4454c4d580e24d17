package crc32c

// foldConsts are the carry-less-multiply folding constants of the amd64 AVX-512 kernel
// (crc32c_amd64.s reads them by symbol). Each pair folds a 128-bit lane forward by D bits:
// its low qword is x^(D+63) mod P and its high qword x^(D-1) mod P, each bit-reflected into
// the top 32 bits of a uint64 (the exponents are one less than the distance because a
// carry-less product of two reflected operands comes out shifted by one bit).
// TestFoldConsts derives them from the polynomial and fails if any differs.
var foldConsts = [14]uint64{
	0xe9a5d8be00000000, 0x1426a81500000000, // D = 2048: 4 x 512-bit accumulators, 256 bytes a round
	0x1c19243b00000000, 0x75bba45b00000000, // D = 512: one 512-bit accumulator, 64 bytes a round
	0xa46ef4aa00000000, 0x6051243f00000000, // D = 384: lane 0 of a 512-bit register onto lane 3
	0x33ccbbbc00000000, 0xa2158b3400000000, // D = 256: lane 1 onto lane 3
	0x3743f7bd00000000, 0x3171d43000000000, // D = 128: lane 2 onto lane 3, and 16-byte folds
	0, 0, // lane 3 stays
	0x75bda45400000000, 0xe986c14800000000, // D = 4096: 8 x 512-bit accumulators, 512 bytes a round
}
