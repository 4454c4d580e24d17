package crc32c

import (
	"hash/crc32"
	"math/rand/v2"
	"testing"
)

// allImpls is every implementation this machine can run plus the dispatcher.
func allImpls() []implementation {
	return append(append([]implementation(nil), implementations...), dispatchImpl)
}

func TestImplementationsListed(t *testing.T) {
	t.Logf("hasAVX512=%v useAVX512=%v avx512Min=%d", hasAVX512Reported(), useAVX512, avx512Min)
	if len(implementations) < 2 {
		t.Fatalf("implementations = %d, want hash/crc32 and generic at least", len(implementations))
	}
}

// TestAllLengthsOffsets compares every implementation with hash/crc32 (Castagnoli) on every
// length 0..4096 at every offset 0..63, each with a nonzero starting crc as well.
func TestAllLengthsOffsets(t *testing.T) {
	const maxLen, maxOff = 4096, 64
	buf := make([]byte, maxLen+maxOff)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range buf {
		buf[i] = byte(r.Uint32())
	}
	tab := crc32.MakeTable(crc32.Castagnoli)
	for _, im := range allImpls() {
		t.Run(im.name, func(t *testing.T) {
			fails := 0
			for off := 0; off < maxOff; off++ {
				want := uint32(0)
				for n := 0; n <= maxLen; n++ {
					if n > 0 {
						want = crc32.Update(want, tab, buf[off+n-1:off+n])
					}
					if got := im.update(0, buf[off:off+n]); got != want {
						t.Errorf("off %d len %d: %#08x, want %#08x", off, n, got, want)
						fails++
					}
					seed := uint32(n)*0x9E3779B9 + uint32(off)
					if got, w := im.update(seed, buf[off:off+n]), crc32.Update(seed, tab, buf[off:off+n]); got != w {
						t.Errorf("off %d len %d crc %#08x: %#08x, want %#08x", off, n, seed, got, w)
						fails++
					}
					if fails > 20 {
						t.Fatal("too many failures")
					}
				}
			}
		})
	}
}

// TestUpdateSplits checks that Update over random splits equals one pass.
func TestUpdateSplits(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	buf := make([]byte, 70000)
	for i := range buf {
		buf[i] = byte(r.Uint32())
	}
	for _, im := range allImpls() {
		for trial := 0; trial < 200; trial++ {
			n := r.IntN(len(buf))
			if trial%4 == 0 {
				n = r.IntN(2048)
			}
			p := buf[r.IntN(len(buf)-n+1):][:n]
			want := crc32.Checksum(p, crc32.MakeTable(crc32.Castagnoli))
			crc := uint32(0)
			for rest := p; len(rest) > 0; {
				k := 1 + r.IntN(min(len(rest), 1+r.IntN(5000)))
				crc = im.update(crc, rest[:k])
				rest = rest[k:]
			}
			if crc != want {
				t.Fatalf("%s: len %d in random splits: %#08x, want %#08x", im.name, n, crc, want)
			}
		}
	}
}

// TestRFC3720 checks the CRC examples of RFC 3720 Appendix B.4.
func TestRFC3720(t *testing.T) {
	incr, decr, ones := make([]byte, 32), make([]byte, 32), make([]byte, 32)
	for i := range incr {
		incr[i], decr[i], ones[i] = byte(i), byte(31-i), 0xFF
	}
	// iSCSI SCSI Read (10) command PDU, 48 bytes.
	read := []byte{
		0x01, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
		0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
		0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	}
	vectors := []struct {
		name string
		data []byte
		want uint32
	}{
		{"32 bytes of zeros", make([]byte, 32), 0x8A9136AA},
		{"32 bytes of ones", ones, 0x62A8AB43},
		{"32 bytes incrementing", incr, 0x46DD794E},
		{"32 bytes decrementing", decr, 0x113FDB5C},
		{"iSCSI read command PDU", read, 0xD9963A56},
		{"123456789", []byte("123456789"), 0xE3069283}, // the CRC catalogue check value
	}
	for _, im := range allImpls() {
		for _, v := range vectors {
			// RFC 3720 B.4 prints the CRC bytes in transmission order, which is the
			// little-endian order of the value; the values above are the uint32 results.
			if got := im.update(0, v.data); got != v.want {
				t.Errorf("%s: %s: %#08x, want %#08x", im.name, v.name, got, v.want)
			}
		}
	}
	if got := Checksum(read); got != 0xD9963A56 {
		t.Errorf("Checksum(read PDU) = %#08x", got)
	}
}

func TestChecksumAllocs(t *testing.T) {
	buf := make([]byte, 9000)
	pkt := make([]byte, 1500)
	for _, n := range []int{0, 64, 1500, 9000} {
		if a := testing.AllocsPerRun(100, func() { Checksum(buf[:n]) }); a != 0 {
			t.Errorf("Checksum(%d bytes): %v allocs", n, a)
		}
	}
	if a := testing.AllocsPerRun(100, func() { Stamp(pkt); Verify(pkt) }); a != 0 {
		t.Errorf("Stamp+Verify: %v allocs", a)
	}
}
