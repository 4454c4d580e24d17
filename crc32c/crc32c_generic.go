//go:build !amd64 || purego

package crc32c

// Without the amd64 kernel, Update always takes hash/crc32's Castagnoli path.
const (
	useAVX512 = false
	avx512Min = 0
	hybridMin = 0
)

func updateAVX512(crc uint32, p []byte) uint32 { panic("crc32c: no AVX-512 kernel on this platform") }

func updateHybrid(crc uint32, p []byte) uint32 { panic("crc32c: no AVX-512 kernel on this platform") }

func headerState(p *byte) uint32 { panic("crc32c: no AVX-512 kernel on this platform") }

// implementations lists what this platform can run; see crc32c_amd64.go.
var implementations = []implementation{sse42Impl, genericImpl}
