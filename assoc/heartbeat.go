package assoc

import (
	"encoding/binary"
	"net/netip"

	"github.com/sctp-xdp/sctp-xdp/wire"
)

// Path heartbeats (RFC 9260 8.3) and address confirmation (5.4). Each
// path has one timer: while a HEARTBEAT is outstanding it is the HEARTBEAT's
// RTO, else the time of the next one. Our Heartbeat Info (opaque to the
// peer, echoed in the HEARTBEAT ACK) is
//
//	magic (4) | path index (2) | 0 (2) | address (16) | nonce (8) | send time (8)
//
// and an ACK counts only if its index, address and 64-bit nonce match the
// HEARTBEAT outstanding on that path: a forged or stale ACK confirms
// nothing and clears no error counter.
const (
	hbMagic   = 0x48425631 // "HBV1"; PLPMTUD probes use probeMagic
	hbInfoLen = 4 + 2 + 2 + 16 + 8 + 8
)

// hbState: heartbeats run in ESTABLISHED and stop once SHUTDOWN or
// SHUTDOWN ACK was sent (8.3).
func (a *Assoc) hbState() bool {
	switch a.state {
	case Established, ShutdownPending, ShutdownReceived:
		return true
	}
	return false
}

// hbStart starts every path's heartbeat when the association is up:
// unconfirmed addresses are probed at once (5.4), confirmed ones after an
// idle period.
func (a *Assoc) hbStart(now int64) {
	for i := range a.paths {
		a.paths[i].hbOut = false
		a.hbNext(now, i)
	}
}

// hbNext schedules path i's next HEARTBEAT.
func (a *Assoc) hbNext(now int64, i int) {
	p := &a.paths[i]
	switch {
	case p.state == PathUnconfirmed || p.state == PathPotentiallyFailed:
		// 5.4: probe unconfirmed addresses now (HB.Max.Burst limits it);
		// RFC 7829 5.1 step 3: a PF path once per RTO.
		p.hb.fireAt(now)
	case p.hbOff && p.state == PathActive:
		p.hb.stop()
	default:
		p.hb.at = a.hbPeriod(now, p)
	}
}

// hbPeriod is now + RTO + HB.interval with a jitter of ±50 % of the RTO
// (8.3).
func (a *Assoc) hbPeriod(now int64, p *path) int64 {
	r := uint64(a.cfg.Rand.Uint32())<<32 | uint64(a.cfg.Rand.Uint32())
	jitter := int64(r%uint64(p.rto+1)) - p.rto/2
	return now + p.rto + p.hbInterval + jitter
}

// hbTimeout runs path i's heartbeat timer. It returns false if the
// association ended (Association.Max.Retrans).
func (a *Assoc) hbTimeout(now int64, i int) bool {
	p := &a.paths[i]
	if !a.hbState() {
		p.hb.stop()
		p.hbOut = false
		return true
	}
	if p.hbOut { // unanswered within its RTO
		p.hbOut = false
		if p.state != PathUnconfirmed && (p.state != PathInactive || a.paths[a.tx].state != PathActive) {
			// 8.1: counted against the association; not so an
			// unconfirmed address (perhaps never valid), nor an
			// inactive one while another path works (a dead secondary
			// must not end an idle association whose primary is fine).
			a.fl.errors++
			if a.fl.errors > a.cfg.AssocMaxRetrans {
				a.timedOut()
				return false
			}
		}
		p.backoff(a.cfg) // 8.3: exponential back-off of the RTO
		a.strike(now, i)
		if p.state == PathActive || p.state == PathInactive {
			p.hb.at = a.hbPeriod(now, p)
			return true
		}
	} else if p.state == PathActive && now-p.lastSend < p.hbInterval {
		p.hb.at = a.hbPeriod(p.lastSend, p) // not idle (8.3)
		return true
	}
	if p.state != PathUnconfirmed && i == a.t3Path() && a.fl.unacked() > 0 {
		// Not idle: outstanding DATA probes it, T3-rtx counts its
		// errors (8.3 heartbeats idle destinations only).
		p.hb.at = now + p.rto
		return true
	}
	if p.state == PathUnconfirmed && !a.hbBurstOK(now) {
		p.hb.at = a.hbBurstAt + a.RTO()
		return true
	}
	a.sendHeartbeat(now, i)
	return true
}

// hbBurstOK: at most HB.Max.Burst HEARTBEATs to unconfirmed addresses per
// RTO (5.4).
func (a *Assoc) hbBurstOK(now int64) bool {
	if a.hbBurstN == 0 || now >= a.hbBurstAt+a.RTO() {
		a.hbBurstAt, a.hbBurstN = now, 0
	}
	if a.hbBurstN >= a.cfg.HBMaxBurst {
		return false
	}
	a.hbBurstN++
	return true
}

// sendHeartbeat queues a HEARTBEAT to path i with a fresh nonce; its RTO
// runs from now.
func (a *Assoc) sendHeartbeat(now int64, i int) {
	p := &a.paths[i]
	p.hbNonce = uint64(a.cfg.Rand.Uint32())<<32 | uint64(a.cfg.Rand.Uint32())
	p.hbAt, p.hbOut, p.lastSend = now, true, now
	p.hb.start(now, p.rto)
	b := a.hbBuf[:]
	binary.BigEndian.PutUint16(b[0:], uint16(wire.ParamHeartbeatInfo))
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	v := b[wire.ParamHeaderLen:]
	binary.BigEndian.PutUint32(v[0:], hbMagic)
	binary.BigEndian.PutUint16(v[4:], uint16(i))
	v[6], v[7] = 0, 0
	a16 := p.addr.As16()
	copy(v[8:24], a16[:])
	binary.BigEndian.PutUint64(v[24:], p.hbNonce)
	binary.BigEndian.PutUint64(v[32:], uint64(now))
	w := a.queue()
	w.Chunk(wire.ChunkHeartbeat, 0, b)
	a.out.commit(p.addr, false)
	a.Stats.HeartbeatsSent++
}

// hbAck handles a HEARTBEAT ACK's info; false if it is not one of our
// path heartbeats (perhaps a PLPMTUD probe).
func (a *Assoc) hbAck(now int64, v []byte) bool {
	if len(v) != hbInfoLen || binary.BigEndian.Uint32(v) != hbMagic {
		return false
	}
	i := int(binary.BigEndian.Uint16(v[4:]))
	if i >= len(a.paths) {
		a.Stats.Discarded++
		return true
	}
	p := &a.paths[i]
	a16 := p.addr.As16()
	if string(v[8:24]) != string(a16[:]) || !p.hbOut || binary.BigEndian.Uint64(v[24:]) != p.hbNonce {
		a.Stats.Discarded++ // forged or stale (5.4)
		return true
	}
	p.hbOut = false
	p.sample(now-p.hbAt, a.cfg) // 8.3: the HEARTBEAT measures the RTT
	if i == a.tx {
		a.noteRTO()
	}
	a.fl.errors = 0 // 8.1
	if p.state == PathUnconfirmed {
		p.state, p.errors = PathActive, 0
		a.pathEvent(EventAddrConfirmed, i)
		a.choosePath()
	} else {
		a.reached(i)
	}
	a.hbNext(now, i) // active now: the next one after an idle period
	return true
}

// RequestHeartbeat sends a HEARTBEAT to the peer address addr now (RFC
// 9260 8.3 on-demand, RFC 6458 8.1.12 SCTP_PEER_ADDR_PARAMS with
// SPP_HB_DEMAND); unanswered within the path's RTO it counts as an error.
func (a *Assoc) RequestHeartbeat(now int64, addr netip.Addr) error {
	i := a.pathIndex(addr)
	if i < 0 {
		return ErrUnknownAddr
	}
	if !a.hbState() {
		return ErrState
	}
	a.sendHeartbeat(now, i)
	return nil
}

// SetHeartbeat turns the periodic heartbeat of the peer address addr on or
// off (SPP_HB_ENABLE / SPP_HB_DISABLE). Unconfirmed, potentially-failed
// and inactive paths are probed regardless: only a HEARTBEAT ACK brings
// them (back) into use.
func (a *Assoc) SetHeartbeat(now int64, addr netip.Addr, on bool) error {
	i := a.pathIndex(addr)
	if i < 0 {
		return ErrUnknownAddr
	}
	p := &a.paths[i]
	p.hbOff = !on
	if a.hbState() && !p.hbOut {
		a.hbNext(now, i)
	}
	return nil
}
