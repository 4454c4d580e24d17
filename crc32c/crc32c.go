package crc32c

import "hash/crc32"

// Size is the length of a CRC32c checksum in bytes.
const Size = 4

// castagnoli is hash/crc32's own Castagnoli table: passing this exact pointer to crc32.Update
// selects its accelerated path.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Checksum returns the CRC32c of b.
func Checksum(b []byte) uint32 {
	return Update(0, b)
}

// Update returns crc extended by the bytes of b; crc is a previous result of Checksum or Update
// (0 for an empty prefix), as with hash/crc32.Update.
func Update(crc uint32, b []byte) uint32 {
	if useAVX512 && len(b) >= avx512Min {
		if len(b) < hybridMin {
			return ^updateAVX512(^crc, b)
		}
		return ^updateHybrid(^crc, b)
	}
	return crc32.Update(crc, castagnoli, b)
}
