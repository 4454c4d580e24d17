package assoc

// CongestionControl is a path's congestion controller (RFC 9260 7.2). Loss
// detection and recovery (inflight.go, retransmit.go) decide what was acked
// or lost and tell the controller; the controller only sizes the window, so
// another algorithm can be plugged in through Config.CongestionControl.
// Methods are called on the association's goroutine and must not allocate.
type CongestionControl interface {
	// Window is cwnd in bytes.
	Window() int
	// OnSend is called before new DATA leaves with flight bytes
	// outstanding; rto is the path's RTO, for the idle rule of 7.2.1.
	OnSend(now int64, flight int, rto int64)
	// OnAck reports acked bytes newly acknowledged by a SACK that advanced
	// the Cumulative TSN Ack Point (cumAdvanced) or only gap-acked, with
	// flightBefore the bytes outstanding before the SACK. Not called
	// during fast recovery (7.2.4).
	OnAck(now int64, acked, flightBefore int, cumAdvanced bool)
	// OnAllAcked: nothing is outstanding any more (7.2.2, last paragraph).
	OnAllAcked()
	// OnFastRetransmit: entering fast recovery (7.2.4 step 2... 7.2.3).
	OnFastRetransmit(now int64)
	// OnTimeout: T3-rtx expired (7.2.3).
	OnTimeout(now int64)
	// SetMTU changes the path MTU the window is counted in.
	SetMTU(mtu int)
}

// NewRFC9260CC is the congestion control of RFC 9260 7.2: slow start,
// congestion avoidance with partial_bytes_acked, fast recovery and the
// window after idle.
func NewRFC9260CC(mtu int, peerRwnd uint32) CongestionControl {
	c := &rfcCC{mtu: mtu}
	// 7.2.1: initial cwnd = min(4*MTU, max(2*MTU, 4380)); ssthresh = the
	// peer's a_rwnd.
	c.cwnd = min(4*mtu, max(2*mtu, 4380))
	c.ssthresh = max(int(peerRwnd), 4*mtu)
	return c
}

type rfcCC struct {
	mtu, cwnd, ssthresh, pba int
	lastSend                 int64
}

func (c *rfcCC) Window() int { return c.cwnd }

func (c *rfcCC) SetMTU(mtu int) {
	c.mtu = mtu
	c.cwnd = max(c.cwnd, mtu)
}

// OnSend applies 7.2.1: after an idle period, cwnd is cut to
// max(cwnd/2, 4*MTU) per RTO without transmission.
func (c *rfcCC) OnSend(now int64, flight int, rto int64) {
	if flight == 0 && c.lastSend != 0 && rto > 0 {
		for idle := now - c.lastSend; idle > rto && c.cwnd > 4*c.mtu; idle -= rto {
			c.cwnd = max(c.cwnd/2, 4*c.mtu)
		}
	}
	c.lastSend = now
}

func (c *rfcCC) OnAck(now int64, acked, flightBefore int, cumAdvanced bool) {
	if acked <= 0 {
		return
	}
	// "Fully utilized": at most an MTU of window unused before the SACK.
	full := flightBefore+c.mtu > c.cwnd
	if c.cwnd <= c.ssthresh {
		// 7.2.1 slow start: at most one MTU per SACK.
		if full && cumAdvanced {
			c.cwnd += min(acked, c.mtu)
		}
		return
	}
	// 7.2.2 congestion avoidance: one MTU per cwnd of bytes acked. Every
	// SACK counts its newly acked bytes, gap-acked included (RFC 9260
	// dropped RFC 4960's "that advances the Cumulative TSN Ack Point").
	c.pba += acked
	if !full { // window not fully used: pba is capped at cwnd
		c.pba = min(c.pba, c.cwnd)
		return
	}
	if c.pba >= c.cwnd {
		c.pba -= c.cwnd
		c.cwnd += c.mtu
	}
}

func (c *rfcCC) OnAllAcked() { c.pba = 0 }

// OnFastRetransmit: 7.2.3 on a loss detected by fast retransmit.
func (c *rfcCC) OnFastRetransmit(now int64) {
	c.ssthresh = max(c.cwnd/2, 4*c.mtu)
	c.cwnd = c.ssthresh
	c.pba = 0
}

// OnTimeout: 7.2.3 on T3-rtx expiry: cwnd of one MTU.
func (c *rfcCC) OnTimeout(now int64) {
	c.ssthresh = max(c.cwnd/2, 4*c.mtu)
	c.cwnd = c.mtu
	c.pba = 0
}

// Ssthresh exposes the slow start threshold (PathInfo).
func (c *rfcCC) Ssthresh() int { return c.ssthresh }
