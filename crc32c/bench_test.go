package crc32c

import (
	"fmt"
	"testing"
)

var benchSizes = []int{64, 256, 1500, 9000, 65536}

var sink uint32

// BenchmarkChecksum compares the dispatcher (what callers get) with hash/crc32 Castagnoli at
// each size in the same run; compare medians of -count=5.
func BenchmarkChecksum(b *testing.B) {
	for _, n := range benchSizes {
		buf := make([]byte, n)
		for _, im := range []implementation{sse42Impl, dispatchImpl} {
			b.Run(fmt.Sprintf("%s/%d", im.name, n), func(b *testing.B) {
				b.SetBytes(int64(n))
				for b.Loop() {
					sink = im.update(0, buf)
				}
			})
		}
	}
}

// BenchmarkImpl runs every implementation at every size, plus a sweep of short lengths used to
// set the dispatch threshold (avx512Min), at offset 0 and at an odd offset.
func BenchmarkImpl(b *testing.B) {
	sizes := append([]int{8, 16, 32, 48, 96, 128, 192, 512, 992, 1024, 1200, 1984, 2976, 4096}, benchSizes...)
	for _, n := range sizes {
		buf := make([]byte, n+64)
		for _, im := range implementations {
			if im.name == "generic" {
				continue
			}
			for _, off := range []int{0, 1} { // odd offset: unaligned loads
				b.Run(fmt.Sprintf("%s/%d/off%d", im.name, n, off), func(b *testing.B) {
					p := buf[off : off+n]
					b.SetBytes(int64(n))
					for b.Loop() {
						sink = im.update(0, p)
					}
				})
			}
		}
	}
}

// BenchmarkPacket measures PacketChecksum (what wire/ calls per packet) against hash/crc32 over
// the same bytes in three pieces, the obvious way to skip the field with the standard library.
func BenchmarkPacket(b *testing.B) {
	for _, n := range benchSizes {
		pkt := make([]byte, n)
		b.Run(fmt.Sprintf("stdlib/%d", n), func(b *testing.B) {
			b.SetBytes(int64(n))
			for b.Loop() {
				sink = packetChecksum(sse42Impl.update, pkt)
			}
		})
		b.Run(fmt.Sprintf("PacketChecksum/%d", n), func(b *testing.B) {
			b.SetBytes(int64(n))
			for b.Loop() {
				sink = PacketChecksum(pkt)
			}
		})
	}
}
