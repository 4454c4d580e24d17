//go:build amd64 && !purego

package crc32c

import "golang.org/x/sys/cpu"

// hasAVX512 reports whether the CPU and OS support the folding kernel: AVX-512 F and VL for
// 512- and 128-bit EVEX forms, VPCLMULQDQ for 512-bit carry-less multiplies, and SSE4.2 for
// the final CRC32 instructions. x/sys/cpu already checks that the OS saves ZMM state.
var hasAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512VPCLMULQDQ &&
	cpu.X86.HasPCLMULQDQ && cpu.X86.HasSSE42

// useAVX512 is the dispatch decision, made once at start-up.
var useAVX512 = hasAVX512

// Dispatch thresholds, from BenchmarkImpl on the build machine (AMD EPYC "Turin-like" VM with
// AVX-512 VPCLMULQDQ, go1.26, two cores shared with other jobs, so each figure is the least of
// 15 runs of 20 ms; ns per call, offset 0):
//
//	bytes       8    32    64   128   256   992  1500  1984  2976  4096  9000  65536
//	stdlib    6.6   7.1  10.7  11.1  25.4  55.4  83.6 108.2 152.2 148.3 366.0 2541
//	avx512    3.6   4.0   6.6   5.2   8.0  20.9  29.9  37.3  55.8  74.7 169.7 1198
//	hybrid                                 20.5  47.0  28.4  37.5  51.0 106.2  636
//
// The assembly is never slower than hash/crc32, even below 64 bytes where it runs the same
// CRC32 instructions with less call overhead, so avx512Min is 0 and hash/crc32 serves only
// CPUs without AVX-512 VPCLMULQDQ. The hybrid kernel ties at one block, loses at 1500 bytes
// (one block plus a 508-byte tail) and wins from two blocks on. Loads are unaligned: offsets
// 0 and 1 measured the same at every size, so there is no alignment prologue. Zen cores do
// not lower their clock for 512-bit instructions; on CPUs that do, these thresholds would be
// worth measuring again.
const (
	avx512Min = 0
	hybridMin = 2 * hybridBlock
)

// updateAVX512 extends the non-inverted crc by p with AVX-512 VPCLMULQDQ folding: 8 x 512-bit
// accumulators over 512-byte rounds, 4 over 256-byte rounds, then one over 64-byte rounds,
// 16-byte folds, and SSE4.2 CRC32 instructions for the reduction to 32 bits and the last 0..15
// bytes. Any length and any alignment; below 64 bytes it runs CRC32 instructions only.
// Implemented in crc32c_amd64.s.
//
//go:noescape
func updateAVX512(crc uint32, p []byte) uint32

// headerState returns the non-inverted CRC32c state after the 12-byte SCTP common header at p
// with its Checksum field read as zero (RFC 9260 Section 6.8). Implemented in crc32c_amd64.s.
//
//go:noescape
func headerState(p *byte) uint32

// avx512Impl runs the kernel at every length, whatever the dispatcher chose.
var avx512Impl = implementation{"avx512", func(crc uint32, b []byte) uint32 {
	return ^updateAVX512(^crc, b)
}}

// implementations lists what this machine can run, for tests and benchmarks.
var implementations = func() []implementation {
	impls := []implementation{sse42Impl, genericImpl}
	if hasAVX512 {
		impls = append(impls, avx512Impl, hybridImpl)
	}
	return impls
}()

// Hybrid kernel geometry (hybrid_amd64.s): a block is 512 bytes for the vector unit and
// hybridLane bytes for each of hybridStreams CRC32 instruction streams. Measured here: eight
// independent CRC32Q take 1.1 ns and eight independent 512-bit VPCLMULQDQ 4.5 ns, so the
// scalar unit can nearly match the vector unit if enough streams hide CRC32's latency; six fit
// in the free registers. Lanes of 48 to 112 bytes were tried; 80 was best or within noise of it
// at 4096, 9000 and 65536 bytes. The generator's -lane must equal hybridLane.
//
//go:generate sh -c "go run gen_hybrid.go -lane 80 > hybrid_amd64.s"
const (
	hybridVec       = 512
	hybridStreams   = 6
	hybridLane      = 80
	hybridBlock     = hybridVec + hybridStreams*hybridLane
	hybridMaxBlocks = 128 // so the merge table stays small; longer input takes several calls
)

// hybridMerge[n][j-1] is x^(j·8·hybridLane·n − 33) mod P, bit-reflected: the multiplier that
// moves a CRC state forward over j streams of n blocks (see hybrid_amd64.s).
var hybridMerge = func() (t [hybridMaxBlocks + 1][hybridStreams]uint64) {
	for j := 1; j <= hybridStreams; j++ {
		step := xPowModReflected(j * 8 * hybridLane) // one more block
		k := xPowModReflected(j*8*hybridLane - 33)
		for n := 1; n <= hybridMaxBlocks; n++ {
			t[n][j-1] = uint64(k)
			k = mulModReflected(k, step)
		}
	}
	return t
}()

//go:noescape
func hybridAVX512(crc uint32, p *byte, n int, merge *[hybridStreams]uint64) uint32

// updateHybrid extends the non-inverted crc by p, running the vector and scalar units together
// on whole blocks and updateAVX512 on what is left.
func updateHybrid(crc uint32, p []byte) uint32 {
	for len(p) >= hybridBlock {
		n := min(len(p)/hybridBlock, hybridMaxBlocks)
		crc = hybridAVX512(crc, &p[0], n, &hybridMerge[n])
		p = p[n*hybridBlock:]
	}
	return updateAVX512(crc, p)
}

// hybridImpl runs the hybrid kernel whenever a whole block is there.
var hybridImpl = implementation{"hybrid", func(crc uint32, b []byte) uint32 {
	return ^updateHybrid(^crc, b)
}}
