package assoc

import "fmt"

// checkInvariants verifies the data transfer bookkeeping (tests and fuzz).
func (a *Assoc) checkInvariants() error {
	f := &a.fl
	flight, gap, retx := 0, 0, 0
	for i := f.head; i < len(f.list); i++ {
		c := &f.list[i]
		if i > f.head && c.tsn != f.list[i-1].tsn+1 {
			return fmt.Errorf("outstanding TSNs not consecutive at %d", i)
		}
		if c.inFlight {
			flight += c.n
		}
		if c.acked {
			gap++
		}
		if c.retx {
			retx++
		}
		if c.inFlight && (c.acked || c.retx) || c.acked && c.retx {
			return fmt.Errorf("chunk %d: inFlight %v acked %v retx %v", c.tsn, c.inFlight, c.acked, c.retx)
		}
	}
	if flight != f.flight || gap != f.nGapAckd || retx != f.nRetx {
		return fmt.Errorf("flight %d/%d, gap-acked %d/%d, retx %d/%d", flight, f.flight, gap, f.nGapAckd, retx, f.nRetx)
	}
	if f.outstanding() > 0 && f.list[f.head].tsn != f.cumAck+1 {
		return fmt.Errorf("first outstanding %d, cum ack %d", f.list[f.head].tsn, f.cumAck)
	}
	if a.ring.used < 0 || a.ring.used > len(a.ring.buf) {
		return fmt.Errorf("send ring used %d of %d", a.ring.used, len(a.ring.buf))
	}
	if a.fl.outstanding() == 0 && a.sq.empty() && a.ring.used != 0 {
		return fmt.Errorf("send ring holds %d bytes with nothing queued", a.ring.used)
	}
	if a.rq.pendBytes < 0 || a.rq.readyBytes < 0 || a.rq.pendBytes+a.rq.readyBytes > 2*int(a.cfg.ARwnd) {
		return fmt.Errorf("receive bytes %d + %d", a.rq.pendBytes, a.rq.readyBytes)
	}
	if f.peerRwnd < 0 {
		return fmt.Errorf("peer rwnd %d", f.peerRwnd)
	}
	// Multi-homing: indexes in range, DATA never bound for an
	// unconfirmed path (5.4), PF only with an alternate (multihome.go).
	if len(a.paths) > 0 {
		if a.primary >= len(a.paths) || a.tx >= len(a.paths) || a.rtx >= len(a.paths) || a.rtx < -1 {
			return fmt.Errorf("path indexes primary %d tx %d rtx %d of %d", a.primary, a.tx, a.rtx, len(a.paths))
		}
		if a.state >= Established && (a.paths[a.tx].state == PathUnconfirmed || a.paths[a.dataPath()].state == PathUnconfirmed) {
			return fmt.Errorf("DATA path %v unconfirmed", a.paths[a.tx].addr)
		}
		for i := range a.paths {
			p := &a.paths[i]
			if p.errors < 0 || p.state > PathInactive || p.state == PathPotentiallyFailed && len(a.paths) == 1 {
				return fmt.Errorf("path %v: %v errors %d", p.addr, p.state, p.errors)
			}
		}
	}
	return nil
}
