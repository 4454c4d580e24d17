package assoc

import "github.com/sctp-xdp/sctp-xdp/wire"

// maxAbortReason bounds the user's reason carried in an ABORT.
const maxAbortReason = 512

// Abort ends the association at once (RFC 9260 9.1): an ABORT with a
// User-Initiated Abort cause carrying reason (truncated to 512 bytes), then
// CLOSED with a COMM_LOST event. Before the peer's tag is known (COOKIE-WAIT)
// nothing is sent.
func (a *Assoc) Abort(now int64, reason []byte) error {
	if a.state == Closed {
		return ErrState
	}
	a.out.clear()
	a.sendAbort(wire.CauseUserInitiatedAbort, reason[:min(len(reason), maxAbortReason)])
	a.close()
	a.events.push(Event{Type: EventCommLost, State: Closed, Cause: wire.CauseUserInitiatedAbort})
	return nil
}

// sendAbort queues an ABORT with one cause, if the peer's tag is known.
func (a *Assoc) sendAbort(cause wire.CauseCode, info []byte) {
	if a.peerTag == 0 {
		return
	}
	w := a.queue()
	w.BeginAbort(false)
	if cause != 0 {
		w.Cause(cause, info)
	}
	w.End()
	a.commit()
}

// abortWith ends the association for a protocol error with the cause the
// RFC prescribes (for example No User Data, RFC 9260 6.2); raw is the
// offending packet, for the cause's information.
func (a *Assoc) abortWith(code wire.CauseCode, raw []byte) {
	if a.state == Closed {
		return
	}
	a.out.clear()
	vtag := a.peerTag
	if vtag == 0 && len(raw) >= wire.SCTPHeaderLen+wire.InitHeaderLen && wire.ChunkType(raw[12]) == wire.ChunkInitAck {
		vtag = beU32(raw[16:]) // a bad INIT ACK: answer its Initiate Tag (RFC 9260 3.3.3)
	}
	if vtag != 0 {
		w := a.out.begin(a.localPort, a.peerPort, vtag)
		w.BeginAbort(false)
		causeFor(w, code, raw)
		w.End()
		a.commit()
	}
	ev := Event{Type: EventCommLost, State: Closed, Cause: code}
	if a.state == CookieWait || a.state == CookieEchoed {
		ev.Type = EventCantStrAssoc
	}
	a.close()
	a.events.push(ev)
}

// SendError queues an ERROR chunk with one cause (RFC 9260 3.3.10).
func (a *Assoc) SendError(cause wire.CauseCode, info []byte) error {
	if a.state == Closed || a.peerTag == 0 {
		return ErrState
	}
	w := a.queue()
	w.BeginError()
	w.Cause(cause, info)
	w.End()
	a.commit()
	return nil
}
