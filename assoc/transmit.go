package assoc

import (
	"encoding/binary"
	"net/netip"

	"github.com/sctp-xdp/sctp-xdp/wire"
)

// NextPacket appends the next whole SCTP packet to buf and gives its
// destination; ok is false when nothing is waiting. Queued control chunks
// leave first, bundled (RFC 9260 6.10) with a due SACK and DATA when they
// share the header and path; then packets of SACK and DATA as congestion
// control (7.2), the peer's window (6.1), Nagle and Max.Burst allow.
// Packets are sized to the path MTU.
func (a *Assoc) NextPacket(now int64, buf []byte) (pkt []byte, dst netip.Addr, ok bool) {
	limit := a.sctpLimit()
	base := len(buf)
	if a.pl.pending && a.state >= Established && a.peerTag != 0 {
		return a.plProbe(now, buf), a.paths[a.primary].addr, true
	}
	if pkt, dst, ok = a.out.next(buf, limit); ok {
		a.countCtrl(pkt[base+wire.SCTPHeaderLen:])
		if a.bundleOK(pkt[base:], dst) {
			n := len(pkt)
			if pkt = a.fill(now, pkt, base, limit); len(pkt) != n {
				stampCRC(pkt[base:])
			}
		}
		return pkt, dst, true
	}
	// In COOKIE-ECHOED DATA only travels behind a COOKIE ECHO (5.1 D): the
	// peer has no association to give it to otherwise.
	if !a.dataState() || a.peerTag == 0 || a.state == CookieEchoed {
		return buf, netip.Addr{}, false
	}
	dst = a.paths[a.dataPath()].addr
	if sd := a.sackDst(); a.sk.pending && a.sk.now && sd != dst {
		// RFC 9260 6.4: the SACK goes back where the DATA came from, not
		// bundled with DATA to another path.
		pkt = a.header(buf)
		pkt = a.appendSack(pkt, limit-wire.SCTPHeaderLen)
		stampCRC(pkt[base:])
		return pkt, sd, true
	}
	pkt = a.header(buf)
	pkt = a.fill(now, pkt, base, limit)
	if len(pkt) == base+wire.SCTPHeaderLen {
		return buf, netip.Addr{}, false
	}
	stampCRC(pkt[base:])
	return pkt, dst, true
}

// header appends a common header with the peer's tag (checksum zero).
func (a *Assoc) header(buf []byte) []byte {
	pkt := binary.BigEndian.AppendUint16(buf, a.localPort)
	pkt = binary.BigEndian.AppendUint16(pkt, a.peerPort)
	pkt = binary.BigEndian.AppendUint32(pkt, a.peerTag)
	return append(pkt, 0, 0, 0, 0)
}

// sackDst is where a SACK goes: the source of the DATA it acknowledges
// (RFC 9260 6.4) unless that address is unconfirmed (5.4: nothing but
// HEARTBEATs goes there), else the current path.
func (a *Assoc) sackDst() netip.Addr {
	if a.sk.dst.IsValid() {
		if p := a.pathOf(a.sk.dst); p != nil && p.state != PathUnconfirmed {
			return a.sk.dst
		}
	}
	return a.paths[a.tx].addr
}

// dataState: DATA and SACK may leave (COOKIE-ECHOED: bundled behind the
// COOKIE ECHO, 5.1 D).
func (a *Assoc) dataState() bool {
	switch a.state {
	case CookieEchoed, Established, ShutdownPending, ShutdownReceived, ShutdownSent:
		return true
	}
	return false
}

// bundleOK reports whether SACK and DATA may follow the control chunks of
// pkt: same tag and path, and none of the chunks that travel alone.
func (a *Assoc) bundleOK(pkt []byte, dst netip.Addr) bool {
	if !a.dataState() || dst != a.paths[a.dataPath()].addr || binary.BigEndian.Uint32(pkt[4:]) != a.peerTag || a.peerTag == 0 {
		return false
	}
	switch wire.ChunkType(pkt[wire.SCTPHeaderLen]) {
	case wire.ChunkInit, wire.ChunkInitAck, wire.ChunkShutdownComplete, wire.ChunkAbort:
		return false
	case wire.ChunkCookieEcho:
		return true
	}
	return a.state != CookieEchoed
}

// countCtrl counts the control chunks of an outgoing packet body.
func (a *Assoc) countCtrl(body []byte) {
	for len(body) >= 4 {
		n := int(binary.BigEndian.Uint16(body[2:]))
		if n < 4 {
			return
		}
		if wire.ChunkType(body[0]) == wire.ChunkSack {
			a.Stats.SacksSent++
		}
		a.Stats.CtrlChunksSent++
		body = body[min((n+3)&^3, len(body)):]
	}
}

// fill appends a due SACK and the DATA that may leave to pkt (which holds
// a common header at base) within limit bytes.
func (a *Assoc) fill(now int64, pkt []byte, base, limit int) []byte {
	f := &a.fl
	retx := f.nRetx > 0 && (f.fastPending || f.flight < a.cwnd())
	fresh := !retx && f.nRetx == 0 && a.canSendNew(now)
	if a.sk.pending && (a.sk.now || retx || fresh) && a.state != CookieEchoed &&
		a.sackDst() == a.paths[a.dataPath()].addr {
		pkt = a.appendSack(pkt, limit-(len(pkt)-base))
	}
	if retx {
		return a.appendRetx(now, pkt, base, limit)
	}
	if fresh {
		pkt = a.appendNew(now, pkt, base, limit)
	}
	return pkt
}

func (a *Assoc) cwnd() int { return a.paths[a.dataPath()].cc.Window() }

// canSendNew: queued data, the window open (7.2.1: while flight < cwnd),
// the peer's rwnd (6.1 A; with nothing in flight one chunk probes a zero
// window), Max.Burst and Nagle.
func (a *Assoc) canSendNew(now int64) bool {
	f := &a.fl
	if a.sq.empty() || a.state == ShutdownSent || len(a.paths) == 0 || a.paths[a.tx].cc == nil {
		return false
	}
	if f.flight >= a.cwnd() || a.burst >= a.cfg.MaxBurst {
		return false
	}
	m := a.sq.peek()
	next := min(m.n-m.done, a.maxFragment())
	if f.flight > 0 {
		if f.peerRwnd < next { // sender-side silly window avoidance
			return false
		}
		// Nagle: while data is outstanding, hold back less than a full chunk.
		if !a.cfg.NoDelay && a.sq.bytes < a.maxFragment() && a.state == Established {
			return false
		}
	}
	return true
}

// appendRetx appends chunks marked for retransmission, lowest TSN first
// (6.1 C, 7.2.4 step 3), as many as fit one packet.
func (a *Assoc) appendRetx(now int64, pkt []byte, base, limit int) []byte {
	f := &a.fl
	pi := a.dataPath()
	p := &a.paths[pi]
	p.lastSend = now
	sent := false
	for i := f.head; i < len(f.list) && f.nRetx > 0; i++ {
		c := &f.list[i]
		if !c.retx {
			continue
		}
		// A chunk cut for a larger PMTU than now still leaves, alone: its
		// TSN cannot be cut again (RFC 9260 7.3 leaves it to IP
		// fragmentation).
		if sent && len(pkt)-base+padded(c.n) > limit {
			break
		}
		sent = true
		pkt = a.appendChunk(pkt, c, 0)
		c.retx, c.inFlight = false, true
		c.path = uint8(pi)
		c.sends++
		c.sentAt = now
		c.miss = 0
		f.nRetx--
		f.flight += c.n
		a.Stats.RtxChunks++
	}
	f.fastPending = false
	if f.nRetx == 0 {
		a.rtx = -1
	}
	if a.t3.at == 0 {
		a.t3.start(now, p.rto)
	}
	return pkt
}

// appendNew cuts queued messages into DATA chunks (fragmenting at
// maxFragment, 6.9) and appends those that fit.
func (a *Assoc) appendNew(now int64, pkt []byte, base, limit int) []byte {
	f := &a.fl
	p := &a.paths[a.tx]
	p.cc.OnSend(now, f.flight, p.rto)
	p.lastSend = now
	maxf := a.maxFragment()
	sent := false
	for !a.sq.empty() {
		m := a.sq.peek()
		n := min(m.n-m.done, maxf)
		if len(pkt)-base+padded(n) > limit {
			break
		}
		if sent && f.peerRwnd < n {
			break
		}
		c := outChunk{tsn: a.localTSN, sid: m.sid, ssn: m.ssn, ppid: m.ppid, flags: m.flags,
			off: m.off + m.done, n: n, seq: m.seq, sentAt: now, sends: 1, inFlight: true, path: uint8(a.tx)}
		if m.done == 0 {
			c.flags |= flagB
		}
		m.done += n
		a.sq.bytes -= n
		if m.done == m.n {
			c.flags |= flagE
			a.sq.popDone()
		}
		a.localTSN++
		i := byte(0)
		if a.state == ShutdownPending && a.sq.empty() {
			i = flagI // RFC 7053 4.1: the last DATA before SHUTDOWN is acked at once
		}
		pkt = a.appendChunk(pkt, &c, i)
		if c.flags&flagU != 0 {
			a.Stats.DataSentUnordered++
		} else {
			a.Stats.DataSentOrdered++
		}
		f.flight += n
		f.peerRwnd = max(f.peerRwnd-n-peerChunkOverhead, 0)
		if !f.rttPending {
			f.rttPending, f.rttTSN = true, c.tsn
		}
		f.push(c)
		sent = true
	}
	if sent {
		a.burst++
		if a.t3.at == 0 {
			a.t3.start(now, p.rto) // 6.3.2 R1
		}
	}
	return pkt
}

// appendChunk appends the DATA chunk c (RFC 9260 3.3.1), padded.
func (a *Assoc) appendChunk(pkt []byte, c *outChunk, extra byte) []byte {
	n := wire.DataHeaderLen + c.n
	pkt = append(pkt, byte(wire.ChunkData), c.flags|extra, byte(n>>8), byte(n))
	pkt = binary.BigEndian.AppendUint32(pkt, c.tsn)
	pkt = binary.BigEndian.AppendUint16(pkt, c.sid)
	pkt = binary.BigEndian.AppendUint16(pkt, c.ssn)
	pkt = binary.BigEndian.AppendUint32(pkt, c.ppid)
	pkt = append(pkt, a.ring.buf[c.off:c.off+c.n]...)
	for n&3 != 0 {
		pkt = append(pkt, 0)
		n++
	}
	return pkt
}

// padded is the bytes a DATA chunk with n bytes of user data takes.
func padded(n int) int { return (wire.DataHeaderLen + n + 3) &^ 3 }
