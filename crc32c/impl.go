package crc32c

import "hash/crc32"

// implementation is one way to compute CRC32c, named for tests and benchmarks. update has
// the signature and meaning of Update.
type implementation struct {
	name   string
	update func(crc uint32, b []byte) uint32
}

// privateCastagnoli is a copy of the Castagnoli table at a different address: hash/crc32 only
// accelerates its own table pointer, so this one always takes its pure-Go table-driven path.
var privateCastagnoli = func() *crc32.Table { t := *castagnoli; return &t }()

var (
	// sse42Impl is hash/crc32's Castagnoli path: SSE4.2 CRC32 instructions on amd64
	// (three interleaved streams from 504 bytes), CRC instructions on arm64, slicing-by-8
	// elsewhere.
	sse42Impl = implementation{"stdlib", func(crc uint32, b []byte) uint32 {
		return crc32.Update(crc, castagnoli, b)
	}}
	// genericImpl is pure Go on every platform, so the portable logic is tested on this
	// machine too.
	genericImpl = implementation{"generic", func(crc uint32, b []byte) uint32 {
		return crc32.Update(crc, privateCastagnoli, b)
	}}
	// dispatchImpl is the exported Update, whatever it picked.
	dispatchImpl = implementation{"dispatch", Update}
)
