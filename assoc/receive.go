package assoc

import "github.com/sctp-xdp/sctp-xdp/wire"

// Receive processes a packet of this association: pkt must come from
// wire.ParseSCTP (with a verified checksum) and carry our port. Bad input is
// answered as the RFC says or dropped; it never panics.
func (a *Assoc) Receive(now int64, pi *PacketInfo, pkt wire.SCTP) {
	if a.state == Closed {
		return
	}
	first, ok := pkt.FirstChunk()
	if !ok {
		return
	}
	switch a.checkVTag(pkt, first) {
	case vDiscard:
		a.Stats.Discarded++
		return
	case vOOTB:
		// RFC 9260 8.5.1 E / 8.4 step 5: a SHUTDOWN ACK we cannot place is
		// answered with SHUTDOWN COMPLETE, T bit set, its own tag reflected.
		w := a.out.begin(a.localPort, a.peerPort, pkt.VerificationTag())
		w.ShutdownComplete(true)
		a.out.commit(pi.Src, true)
		return
	}
	a.ctrlBudget = maxCtrlReplies
	a.burst = 0
	for it := pkt.Chunks(); ; {
		c, ok := it.Next()
		if !ok || a.state == Closed || !a.chunk(now, pi, pkt, c) {
			break
		}
	}
	if a.state != Closed {
		a.sackAfterPacket(now)
	}
}

// maxCtrlReplies bounds the control chunks one received packet may make us
// queue (HEARTBEAT ACKs, ERRORs): a resource bound against amplification.
const maxCtrlReplies = 8

// chunk processes one chunk; false stops the packet.
func (a *Assoc) chunk(now int64, pi *PacketInfo, pkt wire.SCTP, c wire.Chunk) bool {
	if c.Type() != wire.ChunkData {
		a.Stats.CtrlChunksReceived++
	}
	switch c.Type() {
	case wire.ChunkInit:
		a.recvInit(now, pi, pkt, wire.InitChunk(c))
		return false
	case wire.ChunkInitAck:
		a.recvInitAck(now, pi, wire.InitChunk(c))
		return false
	case wire.ChunkCookieEcho:
		return a.recvCookieEcho(now, pi, pkt, wire.CookieEchoChunk(c))
	case wire.ChunkCookieAck:
		a.recvCookieAck(now)
	case wire.ChunkAbort:
		a.recvAbort(c)
		return false
	case wire.ChunkError:
		a.recvError(now, c)
	case wire.ChunkShutdown:
		a.recvShutdown(now, wire.ShutdownChunk(c))
	case wire.ChunkShutdownAck:
		a.recvShutdownAck(now, pi)
	case wire.ChunkShutdownComplete:
		a.recvShutdownComplete()
		return false
	case wire.ChunkData:
		if a.state == ShutdownAckSent {
			// The peer sent SHUTDOWN with everything acknowledged: DATA
			// now is an old duplicate (a network copy). Discarded without
			// a SACK, as Linux does: the peer may already have closed on
			// our SHUTDOWN ACK, and its out-of-the-blue answer to a SACK,
			// an ABORT with the T bit (8.4), would end this graceful
			// shutdown as an abort.
			a.Stats.DupChunksReceived++
			break
		}
		a.sk.dst = pi.Src
		a.recvData(now, wire.DataChunk(c))
	case wire.ChunkSack:
		return a.recvSack(now, wire.SackChunk(c))
	case wire.ChunkHeartbeat:
		// RFC 9260 8.3: answer with the Heartbeat Info unchanged, to the
		// HEARTBEAT's source (6.4).
		if a.state >= Established && a.ctrlBudget > 0 {
			a.ctrlBudget--
			w := a.queue()
			w.Chunk(wire.ChunkHeartbeatAck, 0, c.Value())
			a.out.commit(pi.Src, false)
			a.Stats.HeartbeatsAckd++
		}
	case wire.ChunkHeartbeatAck:
		// Path heartbeats (heartbeat.go) or PLPMTUD probes (plpmtud.go).
		if v := wire.HeartbeatChunk(c).Info().Value(); !a.hbAck(now, v) {
			a.plAck(now, v)
		}
	case wire.ChunkPad:
		// RFC 4820: padding (a peer's PMTU probe), ignored.
	case wire.ChunkECNE, wire.ChunkCWR:
		// ECN is not announced.
	case wire.ChunkPktDrop:
		a.Stats.PktDrops++ // design.md 5: counted and ignored
	default:
		return a.unrecognized(c)
	}
	return true
}

// unrecognized applies a chunk type's action bits (RFC 9260 3.2): report it
// in an ERROR with an Unrecognized Chunk Type cause if asked, and stop the
// packet or skip the chunk. Extension chunks we have not negotiated are
// unrecognized to us.
func (a *Assoc) unrecognized(c wire.Chunk) bool {
	a.Stats.Unrecognized++
	act := c.Type().Action()
	if act.Report() && a.peerTag != 0 && a.ctrlBudget > 0 {
		a.ctrlBudget--
		w := a.queue()
		w.BeginError()
		w.BeginCause(wire.CauseUnrecognizedChunkType)
		w.Raw(c[:min(len(c), 1024)]) // the chunk as received, bounded
		w.End()
		w.End()
		a.commit()
	}
	return act.Skip()
}

// recvAbort ends the association (RFC 9260 9.1): COMM_LOST, or
// CANT_STR_ASSOC during the handshake.
func (a *Assoc) recvAbort(c wire.Chunk) {
	handshake := a.state == CookieWait || a.state == CookieEchoed
	a.close()
	a.out.clear()
	ev := Event{Type: EventCommLost, State: Closed, Cause: firstCause(c.Value()),
		Causes: append([]byte(nil), c.Value()...)}
	if handshake {
		ev.Type = EventCantStrAssoc
	}
	a.events.push(ev)
}

// recvError reports an ERROR chunk to the user; a Stale Cookie in
// COOKIE-ECHOED restarts the handshake (RFC 9260 5.2.6).
func (a *Assoc) recvError(now int64, c wire.Chunk) {
	for it := wire.Causes(c.Value()); ; {
		cause, ok := it.Next()
		if !ok {
			break
		}
		if cause.Code() == wire.CauseStaleCookie && a.state == CookieEchoed {
			a.staleCookie(now, cause.Staleness())
			return
		}
	}
	// A peer can send ERROR chunks faster than a slow application reads
	// events: beyond maxQueuedEvents they are counted, not queued.
	if a.events.len() >= maxQueuedEvents {
		a.Stats.EventsDropped++
		return
	}
	a.events.push(Event{Type: EventRemoteError, State: a.state, Cause: firstCause(c.Value()),
		Causes: append([]byte(nil), c.Value()...)})
}

// maxQueuedEvents bounds the events a peer can make an association queue.
const maxQueuedEvents = 64
