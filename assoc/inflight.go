package assoc

import "github.com/sctp-xdp/sctp-xdp/wire"

// outChunk is a DATA chunk sent and not yet covered by the Cumulative TSN
// Ack (RFC 9260 6.2.1). Its user data stays in the send ring.
type outChunk struct {
	tsn      uint32
	sid, ssn uint16
	ppid     uint32
	flags    uint8  // flagB, flagE, flagU
	off, n   int    // user data in the send ring
	seq      uint32 // the message's ring allocation, released with its E chunk
	sentAt   int64
	sends    uint8 // transmissions (Karn: RTT only from chunks sent once)
	miss     uint8 // miss indications (7.2.4)
	path     uint8 // index of the path it last went to
	inFlight bool  // counted in flight
	acked    bool  // gap-acked
	retx     bool  // marked for retransmission
	fastRtx  bool  // already fast-retransmitted once
	reneged  bool  // gap-acked, then reneged: its bytes were counted as acked
	gapNow   bool  // scratch: covered by the SACK being processed
}

// inflight is the list of outstanding chunks in TSN order: TSNs are
// consecutive, so the chunk of TSN t sits at head + t - list[head].tsn.
type inflight struct {
	list      []outChunk
	head      int
	flight    int    // bytes in flight (sent, not acked, not marked for retransmission)
	nGapAckd  int    // chunks gap-acked
	nRetx     int    // chunks marked for retransmission
	cumAck    uint32 // Cumulative TSN Ack Point
	peerRwnd  int    // the peer's rwnd as we account it (6.2.1)
	lastARwnd int    // a_rwnd of the last SACK (or INIT/INIT ACK)

	inFR        bool   // fast recovery (7.2.4)
	frExit      uint32 // its exit point: highest TSN outstanding when it began
	fastPending bool   // a fast retransmission waits for a packet

	rttPending bool // one RTT measurement per round trip (6.3.1)
	rttTSN     uint32
	errors     int  // association error count (8.1)
	sackSeen   bool // a SACK arrived since the last T3 expiry (zero window probes, 6.1)
}

func (f *inflight) outstanding() int { return len(f.list) - f.head }

// unacked counts the chunks neither cum- nor gap-acked.
func (f *inflight) unacked() int { return f.outstanding() - f.nGapAckd }

// peerChunkOverhead is what each DATA chunk in flight is taken to cost the
// peer's receive buffer beyond its user data. RFC 9260 6.2.1 counts user
// bytes only, but receivers charge their own per-chunk bookkeeping against
// the window they advertise (usrsctp and FreeBSD an mbuf, Linux an skb):
// a sender filling a_rwnd with small chunks overruns them and they drop
// DATA (seen: ~1 % of 100-byte messages retransmitted towards usrsctp).
// FreeBSD's sender counts the same 256 bytes (sysctl peer_chunk_oh).
const peerChunkOverhead = 256

// setPeerRwnd is 6.2.1 D iv, counting peerChunkOverhead for each chunk not
// acknowledged yet.
func (f *inflight) setPeerRwnd() {
	f.peerRwnd = max(f.lastARwnd-f.flight-f.unacked()*peerChunkOverhead, 0)
}

func (f *inflight) at(t uint32) *outChunk {
	return &f.list[f.head+int(t-f.list[f.head].tsn)]
}

func (f *inflight) push(c outChunk) {
	if f.head == len(f.list) {
		f.list, f.head = f.list[:0], 0
	} else if f.head > 64 && f.head > len(f.list)/2 {
		k := copy(f.list, f.list[f.head:])
		f.list, f.head = f.list[:k], 0
	}
	f.list = append(f.list, c)
}

func (a *Assoc) highestSent() uint32 { return a.localTSN - 1 }

// recvSack processes a SACK (RFC 9260 6.2.1).
func (a *Assoc) recvSack(now int64, s wire.SackChunk) bool {
	switch a.state {
	case Established, ShutdownPending, ShutdownReceived, ShutdownSent:
	default:
		a.Stats.NotInState++
		return true
	}
	a.Stats.SacksReceived++
	if s.NumGapBlocks() > 0 {
		a.Stats.GapAcksReceived++
	}
	f := &a.fl
	cum := s.CumTSNAck()
	hs := a.highestSent()
	// RFC 5062 4 / 9260 6.2.1: acknowledging a TSN never sent is an attack
	// or a broken peer: abort with Protocol Violation.
	if seqGT(cum, hs) {
		a.protocolViolation()
		return false
	}
	for i := 0; i < s.NumGapBlocks(); i++ {
		if g := s.GapBlock(i); g.Start <= g.End && g.Start != 0 && seqGT(cum+uint32(g.End), hs) {
			a.protocolViolation()
			return false
		}
	}
	if seqLT(cum, f.cumAck) { // 6.2.1 D i: an old, reordered SACK
		return true
	}
	f.sackSeen = true
	flightBefore := f.flight
	cumAdvanced := seqGT(cum, f.cumAck)
	acked := 0
	var htna uint32 // highest TSN newly acknowledged (7.2.4, HTNA)
	haveHTNA := false
	var reachedPaths uint64 // paths whose DATA was acknowledged (8.2)
	ack := func(c *outChunk) {
		if !c.reneged { // counted once, when first acknowledged
			acked += c.n
		}
		// 8.2 clears the error counter of the path the chunk last went
		// to. Only unambiguously: a chunk sent before that path's last
		// timeout (its ack perhaps lost with the path), or sent more than
		// once (which copy arrived? Karn's reasoning), says nothing
		// about the path now; HEARTBEATs decide then.
		if int(c.path) < len(a.paths) && c.sends == 1 && c.sentAt > a.paths[c.path].struckAt {
			reachedPaths |= 1 << (c.path & 63)
		}
		if !haveHTNA || seqGT(c.tsn, htna) { // gap blocks may come in any order
			htna, haveHTNA = c.tsn, true
		}
		if c.inFlight {
			f.flight -= c.n
			c.inFlight = false
		}
		if c.retx {
			c.retx = false
			f.nRetx--
		}
		if f.rttPending && c.tsn == f.rttTSN {
			f.rttPending = false
			if c.sends == 1 { // Karn's rule (6.3.1 C5)
				if int(c.path) < len(a.paths) {
					a.paths[c.path].sample(now-c.sentAt, a.cfg)
					a.noteRTO()
				}
			}
		}
	}
	// The Cumulative TSN Ack: chunks leave the list, their ring space too.
	for f.outstanding() > 0 && seqLE(f.list[f.head].tsn, cum) {
		c := &f.list[f.head]
		if c.acked {
			f.nGapAckd--
		} else {
			ack(c)
		}
		if c.flags&flagE != 0 {
			a.ring.release(c.seq)
		}
		f.head++
	}
	f.cumAck = cum
	if f.rttPending && seqLE(f.rttTSN, cum) {
		f.rttPending = false
	}
	// Gap Ack Blocks: only when there are some now or were before.
	if f.outstanding() > 0 && (s.NumGapBlocks() > 0 || f.nGapAckd > 0) {
		first := f.list[f.head].tsn
		topGap := cum // highest TSN a gap block of this SACK covers
		nBlocks := 0  // valid gap blocks
		// Each block is clamped to the outstanding TSNs, and the TSNs
		// visited to their count: a receiver's blocks are disjoint, so
		// overlapping ones (a broken or hostile peer) cannot make a SACK
		// cost blocks x outstanding.
		last := f.list[len(f.list)-1].tsn
		budget := f.outstanding()
		for i := 0; i < s.NumGapBlocks(); i++ {
			g := s.GapBlock(i)
			if g.Start == 0 || g.Start > g.End {
				continue // invalid block: ignored
			}
			nBlocks++
			lo, hi := cum+uint32(g.Start), cum+uint32(g.End)
			if seqLT(lo, first) {
				lo = first
			}
			if seqGT(hi, last) {
				hi = last
			}
			if seqGT(lo, hi) || budget == 0 {
				continue
			}
			if int(hi-lo) >= budget {
				hi = lo + uint32(budget) - 1
			}
			budget -= int(hi-lo) + 1
			for t := lo; seqLE(t, hi); t++ {
				c := f.at(t)
				c.gapNow = true
				if seqGT(t, topGap) {
					topGap = t
				}
				if !c.acked {
					c.acked = true
					f.nGapAckd++
					ack(c)
				}
			}
		}
		newMiss, renege := false, false
		for i := f.head; i < len(f.list); i++ {
			c := &f.list[i]
			if c.gapNow {
				c.gapNow = false
				continue
			}
			if c.acked {
				if nBlocks > 0 && seqGT(c.tsn, topGap) {
					continue // beyond the last block: a truncated list, not a renege
				}
				// Renege (6.2.1 D): unacknowledged again, back in flight and
				// T3-rtx running (6.3.2 R4). Miss indications follow HTNA
				// (7.2.4) like any other: a stale SACK overtaken by a newer
				// one (reordering) looks like a renege and acknowledges
				// nothing new, so it must not count towards a fast
				// retransmit, as in Linux and FreeBSD.
				c.acked, c.reneged = false, true
				f.nGapAckd--
				c.inFlight = true
				f.flight += c.n
				renege = true
			}
			// 7.2.4: a miss indication for unacked TSNs below the highest
			// newly acked one (HTNA); in fast recovery a SACK advancing
			// the cumulative ack counts for every TSN it reports missing
			// (below its highest gap-acked TSN).
			below := haveHTNA && seqLT(c.tsn, htna)
			if f.inFR && cumAdvanced {
				below = seqLT(c.tsn, topGap)
			}
			if below && !c.retx && !c.acked {
				if c.miss < 255 {
					c.miss++
				}
				if c.miss >= 3 && !c.fastRtx {
					c.fastRtx = true
					a.markRetx(c)
					a.Stats.FastRetransmits++
					newMiss = true
				}
			}
		}
		if newMiss {
			a.fastRetransmit(now)
		}
		if renege && a.t3.at == 0 {
			a.t3.start(now, a.RTO())
		}
	}
	if f.inFR && seqGE(cum, f.frExit) {
		f.inFR = false
	}
	p := &a.paths[a.tx]
	if !f.inFR {
		p.cc.OnAck(now, acked, flightBefore, cumAdvanced)
	}
	// 6.2.1 D iv: rwnd = a_rwnd less the bytes still in flight.
	f.lastARwnd = int(s.ARwnd())
	f.setPeerRwnd()
	if acked > 0 {
		f.errors = 0 // 8.1: new data acknowledged
		for i := range a.paths {
			if reachedPaths&(1<<(i&63)) != 0 {
				a.reached(i)
			}
		}
	}
	a.afterAck(now, cumAdvanced)
	return true
}

func seqGE(a, b uint32) bool { return int32(a-b) >= 0 }

// afterAck runs the timer rules and the shutdown checks after any
// acknowledgement (SACK or SHUTDOWN's Cumulative TSN Ack).
func (a *Assoc) afterAck(now int64, cumAdvanced bool) {
	f := &a.fl
	if f.unacked() == 0 {
		a.t3.stop() // 6.3.2 R2
		if f.outstanding() == 0 {
			a.paths[a.tx].cc.OnAllAcked()
		}
	} else if cumAdvanced {
		a.t3.start(now, a.paths[a.t3Path()].rto) // R3
		a.t3.n = 0
	}
	a.burst = 0
	a.maybeFinishShutdown(now)
}

// ackCum applies a SHUTDOWN's Cumulative TSN Ack (RFC 9260 9.2) as a SACK
// without gap blocks and without changing the peer's window.
func (a *Assoc) ackCum(now int64, cum uint32) {
	f := &a.fl
	if seqGT(cum, a.highestSent()) || !seqGT(cum, f.cumAck) {
		return
	}
	for f.outstanding() > 0 && seqLE(f.list[f.head].tsn, cum) {
		c := &f.list[f.head]
		if c.acked {
			f.nGapAckd--
		} else if c.inFlight {
			f.flight -= c.n
		}
		if c.retx {
			f.nRetx--
		}
		if c.flags&flagE != 0 {
			a.ring.release(c.seq)
		}
		f.head++
	}
	f.cumAck = cum
	f.setPeerRwnd()
	f.errors = 0
	a.afterAck(now, true)
}

// protocolViolation aborts the association (RFC 5062 4, RFC 9260 3.3.10.13).
func (a *Assoc) protocolViolation() {
	a.Stats.ProtocolViolations++
	a.out.clear()
	a.sendAbort(wire.CauseProtocolViolation, []byte("SACK for a TSN not sent"))
	a.close()
	a.events.push(Event{Type: EventCommLost, State: Closed, Cause: wire.CauseProtocolViolation})
}
