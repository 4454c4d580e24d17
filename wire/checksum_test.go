package wire

import (
	"math/rand/v2"
	"testing"
)

// refInternetSum is RFC 1071 4.1's loop: 16-bit words into a 32-bit
// accumulator, carries folded at the end.
func refInternetSum(b []byte, initial uint16) uint16 {
	sum := uint32(initial)
	for len(b) >= 2 {
		sum += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
		for sum > 0xffff {
			sum = sum>>16 + sum&0xffff
		}
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return uint16(sum)
}

func TestInternetSumRFC1071Example(t *testing.T) {
	// RFC 1071 3: the sum of 0001 f203 f4f5 f6f7 is ddf2.
	b := []byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}
	if got := InternetSum(b, 0); got != 0xddf2 {
		t.Fatalf("sum = %#04x, want 0xddf2", got)
	}
	if got := InternetChecksum(b); got != ^uint16(0xddf2) {
		t.Fatalf("checksum = %#04x", got)
	}
}

func TestInternetSumAgainstReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 2100)
	for i := 0; i < 4000; i++ {
		n := r.IntN(len(buf))
		if i < 200 {
			n = i // every small length
		}
		start := r.IntN(8) // unaligned starts too
		if start+n > len(buf) {
			n = len(buf) - start
		}
		b := buf[start : start+n]
		switch i % 4 {
		case 0: // all ones: the most carries
			for j := range b {
				b[j] = 0xff
			}
		case 1:
			for j := range b {
				b[j] = 0
			}
		default:
			for j := range b {
				b[j] = byte(r.Uint32())
			}
		}
		init := uint16(r.Uint32())
		if i%5 == 0 {
			init = 0xffff
		}
		if got, want := InternetSum(b, init), refInternetSum(b, init); got != want {
			t.Fatalf("len %d init %#x: got %#04x, want %#04x", n, init, got, want)
		}
	}
}

func TestInternetSumCombines(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	b := make([]byte, 301)
	for j := range b {
		b[j] = byte(r.Uint32())
	}
	whole := InternetSum(b, 0)
	for cut := 0; cut <= len(b); cut += 2 {
		if got := InternetSum(b[cut:], InternetSum(b[:cut], 0)); got != whole {
			t.Fatalf("cut %d: %#04x, want %#04x", cut, got, whole)
		}
	}
}

func BenchmarkInternetSum1500(b *testing.B) {
	buf := make([]byte, 1500)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		InternetSum(buf, 0)
	}
}

func BenchmarkInternetSumReference1500(b *testing.B) {
	buf := make([]byte, 1500)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		refInternetSum(buf, 0)
	}
}
