package assoc

// Receiver window (RFC 9260 6.2): the a_rwnd we advertise is ARwnd minus
// the bytes held for the user (reassembly and unread messages). DATA that
// does not fit is dropped, except the TSN that advances the cumulative TSN
// while unread data stays below ARwnd, so a full reordering buffer can never
// deadlock the association (partial delivery, reassembly.go, drains an
// incomplete message at the front); memory is thus bounded by twice ARwnd.
// Besides the window in payload bytes, what is held is capped at its real
// cost (reasm.memBytes: buffer capacity and record per chunk) of
// memFactor windows, so a peer's 1-byte messages cannot make a slow
// reader's association hold a hundred windows of memory.

// memFactor: held memory is capped at memFactor * ARwnd.
const memFactor = 4

func (a *Assoc) rwndAvail() uint32 {
	held := a.rq.pendBytes + a.rq.readyBytes
	if held >= int(a.cfg.ARwnd) {
		return 0
	}
	return a.cfg.ARwnd - uint32(held)
}

// rwndRoom reports whether n more bytes of DATA with TSN tsn may be kept.
func (a *Assoc) rwndRoom(tsn uint32, n int) bool {
	if a.rq.memBytes+classCap(n)+rchunkSize > memFactor*int(a.cfg.ARwnd) {
		return false
	}
	held := a.rq.pendBytes + a.rq.readyBytes
	if held+n <= int(a.cfg.ARwnd) {
		return true
	}
	// The exception is capped at twice the window: a peer's messages that
	// can never be delivered (an SSN skipped) cannot grow memory further.
	return tsn == a.tsns.cum+1 && a.rq.readyBytes+n <= int(a.cfg.ARwnd) && held+n <= 2*int(a.cfg.ARwnd)
}

// windowUpdate runs after the user read: receiver-side silly window
// avoidance (6.2, RFC 1122 4.2.3.3) sends a SACK announcing the window only
// when the last advertised window was small and has grown by at least
// min(ARwnd/2, MTU).
func (a *Assoc) windowUpdate() {
	if !a.dataState() {
		return
	}
	now := a.rwndAvail()
	step := min(a.cfg.ARwnd/2, uint32(a.pathMTU()))
	if a.sk.lastAdv <= a.cfg.ARwnd/2 && now >= a.sk.lastAdv+step {
		a.sk.pending, a.sk.now = true, true
	}
}
