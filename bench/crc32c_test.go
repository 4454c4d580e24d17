package bench

import (
	"fmt"
	"hash/crc32"
	"testing"
	"time"

	"github.com/sctp-xdp/sctp-xdp/crc32c"
)

// BenchmarkCRC32c times crc32c.Checksum and hash/crc32 Castagnoli over the same buffer,
// alternating in rounds of 64 calls so both see the same interference on a shared machine,
// and reports ns/op and MB/s for crc32c, ns/op for hash/crc32 ("stdlib-ns/op") and the
// speed-up ("x-stdlib"). Compare medians of -count=5.
func BenchmarkCRC32c(b *testing.B) {
	tab := crc32.MakeTable(crc32.Castagnoli)
	for _, n := range []int{64, 256, 1500, 9000, 65536} {
		buf := make([]byte, n)
		for i := range buf {
			buf[i] = byte(i * 7)
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			const round = 64
			var ours, std time.Duration
			var sink uint32
			calls := 0
			for ; calls < b.N; calls += round {
				t0 := time.Now()
				for range round {
					sink ^= crc32c.Checksum(buf)
				}
				t1 := time.Now()
				for range round {
					sink ^= crc32.Checksum(buf, tab)
				}
				t2 := time.Now()
				ours += t1.Sub(t0)
				std += t2.Sub(t1)
			}
			if sink == 1 {
				b.Log("unlikely")
			}
			c := float64(calls)
			b.ReportMetric(float64(ours.Nanoseconds())/c, "ns/op")
			b.ReportMetric(float64(n)*c/ours.Seconds()/1e6, "MB/s")
			b.ReportMetric(float64(std.Nanoseconds())/c, "stdlib-ns/op")
			b.ReportMetric(float64(std)/float64(ours), "x-stdlib")
		})
	}
}
