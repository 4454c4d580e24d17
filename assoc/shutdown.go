package assoc

import "github.com/sctp-xdp/sctp-xdp/wire"

// Shutdown starts the graceful close (RFC 9260 9.2): SHUTDOWN-PENDING
// until every queued message is sent and acknowledged, then SHUTDOWN. It is
// a no-op while already shutting down.
func (a *Assoc) Shutdown(now int64) error {
	switch {
	case a.state == Established:
		a.state = ShutdownPending
		a.maybeFinishShutdown(now)
		return nil
	case a.state.shuttingDown():
		return nil
	}
	return ErrState
}

// maybeFinishShutdown moves on once nothing is queued or outstanding:
// SHUTDOWN-PENDING sends SHUTDOWN, SHUTDOWN-RECEIVED sends SHUTDOWN ACK
// (9.2).
func (a *Assoc) maybeFinishShutdown(now int64) {
	if !a.sq.empty() || a.fl.outstanding() > 0 {
		return
	}
	switch a.state {
	case ShutdownPending:
		a.sendShutdown(now)
	case ShutdownReceived:
		a.sendShutdownAck(now)
	}
}

func (a *Assoc) sendShutdown(now int64) {
	if a.state != ShutdownSent { // T5-shutdown-guard: 5 × RTO.Max from the first SHUTDOWN
		a.t5.start(now, 5*int64(a.cfg.RTOMax))
	}
	a.state = ShutdownSent
	w := a.queue()
	w.Shutdown(a.tsns.cum)
	a.commit()
	a.t2.start(now, a.RTO())
}

func (a *Assoc) sendShutdownAck(now int64) {
	a.state = ShutdownAckSent
	w := a.queue()
	w.ShutdownAck()
	a.commit()
	a.t2.start(now, a.RTO())
}

// recvShutdown: RFC 9260 9.2.
func (a *Assoc) recvShutdown(now int64, c wire.ShutdownChunk) {
	switch a.state {
	case Established, ShutdownPending:
		// Its Cumulative TSN Ack acknowledges our DATA; what is still
		// queued or outstanding is sent first, SHUTDOWN ACK after.
		a.state = ShutdownReceived
		a.event(EventShutdown)
		a.ackCum(now, c.CumTSNAck())
		a.maybeFinishShutdown(now)
	case ShutdownSent: // both sides closed at once: answer with SHUTDOWN ACK
		a.ackCum(now, c.CumTSNAck())
		a.sendShutdownAck(now)
	case ShutdownReceived: // a SHUTDOWN acknowledging more of our DATA (9.2)
		a.ackCum(now, c.CumTSNAck())
		a.maybeFinishShutdown(now)
	case ShutdownAckSent:
	default:
		a.Stats.NotInState++
	}
}

// recvShutdownAck: RFC 9260 9.2 (SHUTDOWN-SENT, and SHUTDOWN-ACK-SENT after a
// collision); 8.5.1 E for the handshake states is in checkVTag.
func (a *Assoc) recvShutdownAck(now int64, pi *PacketInfo) {
	if a.state != ShutdownSent && a.state != ShutdownAckSent {
		a.Stats.NotInState++
		return
	}
	w := a.queue()
	w.ShutdownComplete(false)
	a.out.commit(a.dst(), true)
	a.close()
	a.event(EventShutdownComp)
}

// recvShutdownComplete: RFC 9260 9.2, in SHUTDOWN-ACK-SENT only.
func (a *Assoc) recvShutdownComplete() {
	if a.state != ShutdownAckSent {
		a.Stats.NotInState++
		return
	}
	a.close()
	a.event(EventShutdownComp)
}

// t2Expired retransmits SHUTDOWN or SHUTDOWN ACK; past
// Association.Max.Retrans the peer is unreachable (RFC 9260 9.2).
func (a *Assoc) t2Expired(now int64) {
	if !a.retransmitOK(&a.t2, a.cfg.AssocMaxRetrans) {
		a.fail(EventCommLost)
		return
	}
	a.paths[a.tx].backoff(a.cfg)
	n := a.t2.n
	switch a.state {
	case ShutdownSent:
		a.sendShutdown(now)
	case ShutdownAckSent:
		a.sendShutdownAck(now)
	default:
		a.t2.stop()
	}
	a.t2.n = n
}

// t5Expired: the shutdown guard ends the association with an ABORT (RFC
// 9260 9.2).
func (a *Assoc) t5Expired(now int64) {
	a.sendAbort(wire.CauseUserInitiatedAbort, nil)
	a.fail(EventCommLost)
}
