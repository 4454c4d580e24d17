package assoc

import "testing"

// RFC 9260 7.2.2: a rate-limited sender that never fills cwnd gets
// partial_bytes_acked capped at cwnd, so it cannot bank growth; bytes
// acked by gap blocks alone count too (the Cumulative TSN Ack Point need
// not advance); a full window then grows cwnd by exactly one MTU.
func TestCCPartialBytesAckedCap(t *testing.T) {
	const mtu = 1000
	c := NewRFC9260CC(mtu, 0).(*rfcCC) // ssthresh 4 MTU = cwnd: slow start once
	c.OnAck(0, mtu, c.cwnd, true)
	w := c.Window()
	if w <= c.ssthresh {
		t.Fatalf("not in congestion avoidance: cwnd %d ssthresh %d", w, c.ssthresh)
	}
	for i := 0; i < 100; i++ { // one MTU in flight, never the window
		c.OnAck(0, mtu, mtu, true)
		if c.pba > c.Window() {
			t.Fatalf("pba %d above cwnd %d after %d SACKs", c.pba, c.Window(), i+1)
		}
	}
	if c.Window() != w {
		t.Fatalf("cwnd grew while not fully used: %d", c.Window())
	}
	c.OnAck(0, mtu, w, false) // window full, gap-acked only
	if c.Window() != w+mtu || c.pba != mtu {
		t.Fatalf("cwnd %d pba %d, want %d %d", c.Window(), c.pba, w+mtu, mtu)
	}
	c.OnAllAcked()
	c.OnAck(0, mtu, c.Window(), false)
	if c.pba != mtu {
		t.Fatalf("gap-acked bytes not counted: pba %d", c.pba)
	}
}
