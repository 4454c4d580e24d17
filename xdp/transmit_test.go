package xdp_test

import (
	"bytes"
	"fmt"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
	"github.com/sctp-xdp/sctp-xdp/xdp"
)

// TestTransmitArrives: frames we put on the TX ring arrive in the peer's
// namespace intact (tshark on the peer's end: CRC32c and IPv4 header
// checksums Good), and every frame comes back to the allocator.
func TestTransmitArrives(t *testing.T) {
	e := newEnv(t, testbed.VethConfig{}, xdp.Options{})
	s := e.socks[0]
	capture := testbed.StartCapture(t, e.peer.NS, e.peer.Name, "sctp")
	const perFamily = 20
	var descs []xdp.Desc
	var want [][]byte
	for _, fam := range [][2]netip.Addr{{e.ours.IPv4, e.peer.IPv4}, {e.ours.IPv6, e.peer.IPv6}} {
		for i := 0; i < perFamily; i++ {
			d, ok := s.Alloc()
			if !ok {
				t.Fatal("Alloc: no frame")
			}
			payload := []byte(fmt.Sprintf("frame %d to %v", i, fam[1]))
			f := sctpFrame(s.Data(d)[:0], e.ours.MAC, e.peer.MAC, fam[0], fam[1], ourPort, 40000, 0xa1b2c3d4, uint32(i), payload)
			d.Len = uint32(len(f))
			descs = append(descs, d)
			want = append(want, bytes.Clone(f))
		}
	}
	n, err := s.Transmit(descs)
	if err != nil || n != len(descs) {
		t.Fatalf("Transmit = %d, %v", n, err)
	}
	waitCompleted(t, s, len(descs))
	// The kernel must not send a frame twice: freeing one now is refused.
	if err := s.Free(descs[:1]); err == nil {
		t.Error("Free of a transmitted frame accepted")
	}
	time.Sleep(200 * time.Millisecond)
	pkts := testbed.Dissect(t, capture.Stop(t), "sctp.srcport", "sctp.dstport", "sctp.verification_tag", "sctp.data_tsn", "data.data", "frame.len")
	if len(pkts) != len(want) {
		t.Fatalf("peer captured %d packets, want %d", len(pkts), len(want))
	}
	for i, p := range pkts {
		tsn := strconv.Itoa(i % perFamily)
		if p.Get("sctp.srcport") != strconv.Itoa(ourPort) || p.Get("sctp.dstport") != "40000" ||
			p.Get("sctp.verification_tag") != "0xa1b2c3d4" || p.Get("sctp.data_tsn") != tsn ||
			p.Get("frame.len") != strconv.Itoa(len(want[i])) {
			t.Errorf("packet %d: %v", i, p)
		}
		if !bytes.Contains(want[i], []byte(fmt.Sprintf("frame %s to", tsn))) {
			t.Errorf("packet %d out of order", i)
		}
	}
	if c := s.FrameCounts(); c.TX != 0 || c.Held != 0 || c.Free+c.Fill != 4096 {
		t.Errorf("frame counts %+v", c)
	}
	if c := s.Counters(); c.TXFrames != uint64(len(want)) || c.Completed != uint64(len(want)) || c.OwnershipErrors != 1 {
		t.Errorf("counters %+v", c)
	}
}

// waitCompleted reaps the completion ring until n frames came back.
func waitCompleted(t testing.TB, s *xdp.Socket, _ int) {
	t.Helper()
	if !s.FlushTX(5*time.Second) || s.FrameCounts().TX > 0 {
		c := s.FrameCounts()
		t.Fatalf("%d frames still in flight; counters %+v", c.TX, s.Counters())
	}
}
