package xdp_test

import (
	"net"
	"testing"
	"time"

	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
	"github.com/sctp-xdp/sctp-xdp/xdp"
)

// TestTXAccounting: after 1 000 000 frames sent and completed, every frame
// is back in the allocator, and the loop allocates nothing.
func TestTXAccounting(t *testing.T) {
	e := newEnv(t, testbed.VethConfig{}, xdp.Options{})
	s := e.socks[0]
	const total = 1_000_000
	// A unicast MAC nobody has: the peer's kernel drops the frames silently.
	nobody := net.HardwareAddr{0x02, 0, 0, 0, 0, 1}
	frame := sctpFrame(nil, e.ours.MAC, nobody, e.ours.IPv4, e.peer.IPv4, ourPort, 40000, 1, 1, make([]byte, 64))
	descs := make([]xdp.Desc, 64)
	sent := 0
	batch := func() {
		n := 0
		for n < len(descs) && sent+n < total {
			d, ok := s.Alloc()
			if !ok {
				break
			}
			d.Len = uint32(copy(s.Data(d), frame))
			descs[n] = d
			n++
		}
		k, err := s.Transmit(descs[:n])
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Free(descs[k:n]); err != nil { // ring full: keep them ours
			t.Fatal(err)
		}
		sent += k
		s.Complete()
	}
	start := time.Now()
	if allocs := testing.AllocsPerRun(100, batch); allocs != 0 {
		t.Errorf("Alloc/Transmit/Complete: %v allocations per batch", allocs)
	}
	deadline := start.Add(60 * time.Second)
	for sent < total {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d frames sent in 60 s", sent, total)
		}
		batch()
	}
	waitCompleted(t, s, 0)
	elapsed := time.Since(start)
	c := s.Counters()
	fc := s.FrameCounts()
	t.Logf("%d frames in %v (%.0f/s); counters %+v; frames %+v", total, elapsed, total/elapsed.Seconds(), c, fc)
	if c.TXFrames != total || c.Completed != total || c.OwnershipErrors != 0 {
		t.Errorf("counters %+v", c)
	}
	if fc.TX != 0 || fc.Held != 0 || fc.Free+fc.Fill != 4096 || fc.Fill != 1024 {
		t.Errorf("frames %+v", fc)
	}
	st, err := s.Statistics()
	if err != nil {
		t.Fatal(err)
	}
	if st.TXInvalidDescs != 0 {
		t.Errorf("kernel statistics %+v", st)
	}
}
