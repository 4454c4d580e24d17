package assoc

import (
	"net/netip"
	"testing"

	"github.com/sctp-xdp/sctp-xdp/crc32c"
	"github.com/sctp-xdp/sctp-xdp/wire"
)

// RFC 9260 6.10: queued chunks are bundled into packets no larger than the
// path MTU allows; INIT, INIT ACK and SHUTDOWN COMPLETE travel alone; each
// packet carries a good CRC32c (6.8).
func TestOutputBundling(t *testing.T) {
	var q outQueue
	dst := netip.MustParseAddr("198.18.0.2")
	info := make([]byte, 300)
	for i := 0; i < 10; i++ {
		w := q.begin(1, 2, 0xAB)
		w.Heartbeat(info) // 4 + 4 + 300 = 308 bytes
		q.commit(dst, false)
	}
	w := q.begin(1, 2, 0xAB)
	w.ShutdownComplete(false)
	q.commit(dst, true)
	w = q.begin(1, 2, 0xAB)
	w.CookieAck()
	q.commit(dst, false)
	const limit = 1000
	var sizes []int
	var last string
	for {
		pkt, d, ok := q.next(nil, limit)
		if !ok {
			break
		}
		if d != dst || len(pkt) > limit || !crc32c.Verify(pkt) {
			t.Fatalf("packet of %d bytes to %v, crc ok %v", len(pkt), d, crc32c.Verify(pkt))
		}
		if _, err := wire.ParseSCTP(pkt); err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(pkt))
		last = describe(pkt)
	}
	// 12 + 3 × 308 = 936 fits, a fourth does not: 3, 3, 3, 1, then the
	// lone SHUTDOWN COMPLETE, then COOKIE ACK.
	want := []int{936, 936, 936, 320, 16, 16}
	if len(sizes) != len(want) {
		t.Fatalf("sizes %v", sizes)
	}
	for i := range want {
		if sizes[i] != want[i] {
			t.Fatalf("sizes %v, want %v", sizes, want)
		}
	}
	if last != "COOKIE ACK" {
		t.Fatal(last)
	}
	if !q.empty() || len(q.arena) != 0 {
		t.Fatal("queue not reset")
	}
}
