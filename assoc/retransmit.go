package assoc

// markRetx takes a chunk out of flight and queues it for retransmission.
func (a *Assoc) markRetx(c *outChunk) {
	if c.retx || c.acked {
		return
	}
	if c.inFlight {
		a.fl.flight -= c.n
		c.inFlight = false
	}
	c.retx = true
	a.fl.nRetx++
}

// fastRetransmit: chunks reached three miss indications (RFC 9260 7.2.4).
// Outside fast recovery the congestion controller halves the window and
// fast recovery begins, ending when the Cumulative TSN Ack passes the
// highest TSN outstanding now; one packet of the marked chunks then leaves
// regardless of cwnd (step 3).
func (a *Assoc) fastRetransmit(now int64) {
	f := &a.fl
	if !f.inFR {
		f.inFR = true
		f.frExit = a.highestSent()
		a.paths[a.tx].cc.OnFastRetransmit(now)
	}
	f.fastPending = true
	f.rttPending = false // Karn: no sample across a retransmission
}

// t3Expired: the retransmission timer fired (RFC 9260 6.3.3): count an
// error against the association (8.1) and the path the oldest
// unacknowledged chunk went to (8.2, which may fail it over; unanswered
// zero window probes do not count while SACKs keep arriving, 6.1), back
// that path's RTO off, collapse its cwnd (7.2.3) and mark every
// unacknowledged chunk for retransmission, to an alternate active path if
// the one that timed out is still active (6.4). Past
// Association.Max.Retrans the peer is unreachable: COMM_LOST with TimedOut.
func (a *Assoc) t3Expired(now int64) {
	f := &a.fl
	a.Stats.T3Expiries++
	probing := f.peerRwnd == 0 && f.sackSeen
	f.sackSeen = false
	if !probing {
		f.errors++
	}
	if a.cfg.NoRetransmit || f.errors > a.cfg.AssocMaxRetrans {
		a.timedOut()
		return
	}
	a.plBlackHole(now)
	pi := a.t3Path()
	p := &a.paths[pi]
	p.backoff(a.cfg)
	p.cc.OnTimeout(now)
	if !probing {
		a.strike(now, pi)
	}
	a.noteRTO()
	for i := f.head; i < len(f.list); i++ {
		a.markRetx(&f.list[i])
	}
	f.inFR, f.fastPending, f.rttPending = false, false, false
	a.rtx = -1
	if p.state == PathActive {
		a.rtx = a.alternate(pi)
	}
	a.t3.start(now, a.paths[a.dataPath()].rto)
}

// t3Path is the path T3-rtx stands for: where the oldest unacknowledged
// chunk in flight went; with every chunk marked for retransmission, the
// path they will take.
func (a *Assoc) t3Path() int {
	f := &a.fl
	for i := f.head; i < len(f.list); i++ {
		if c := &f.list[i]; !c.acked && !c.retx {
			if int(c.path) < len(a.paths) {
				return int(c.path)
			}
			break
		}
	}
	return a.dataPath()
}

// timedOut ends the association after too many retransmissions (RFC 9260
// 8.1): no ABORT is sent (the peer is unreachable), COMM_LOST is reported.
func (a *Assoc) timedOut() {
	a.out.clear()
	a.close()
	a.events.push(Event{Type: EventCommLost, State: Closed, TimedOut: true})
}
