package assoc

import (
	"encoding/binary"
	"net/netip"

	"github.com/sctp-xdp/sctp-xdp/wire"
)

// sackState decides when a SACK leaves (RFC 9260 6.2): at the latest
// SackDelay after the first unacknowledged DATA, on every second packet
// with DATA, and at once on gaps, duplicates or the I bit (RFC 7053); in
// SHUTDOWN-SENT a SHUTDOWN answers instead (9.2). A due SACK is bundled
// with outbound DATA.
type sackState struct {
	dst     netip.Addr // source of the last DATA (RFC 9260 6.4: the SACK goes there)
	pending bool       // received DATA not yet acknowledged
	now     bool       // send it in the next packet
	pkts    int        // packets with DATA since the last SACK
	lastAdv uint32     // a_rwnd of the last SACK

	// per received packet
	gotData, urgent bool
}

// sackAfterPacket schedules the SACK once a packet's chunks are processed.
func (a *Assoc) sackAfterPacket(now int64) {
	if !a.sk.gotData {
		return
	}
	a.sk.gotData = false
	if a.state == ShutdownSent {
		// RFC 9260 9.2: answer each packet with DATA with a SHUTDOWN
		// (restarting T2); a SACK too only when the SHUTDOWN's
		// Cumulative TSN Ack cannot say everything (gaps, duplicates).
		a.sendShutdown(now)
		if a.tsns.hasGaps() || a.tsns.nDups > 0 {
			a.sk.pending, a.sk.now = true, true
		} else {
			a.sk.pending, a.sk.now, a.sk.pkts = false, false, 0
			a.tSack.stop()
		}
		a.sk.urgent = false
		return
	}
	a.sk.pending = true
	a.sk.pkts++
	if a.sk.urgent || a.sk.pkts >= 2 || a.tsns.hasGaps() {
		a.sk.now = true
	}
	a.sk.urgent = false
	if !a.sk.now && a.tSack.at == 0 {
		a.tSack.start(now, int64(a.cfg.SackDelay))
	}
}

// sackTimerExpired: the delayed SACK is due.
func (a *Assoc) sackTimerExpired() {
	a.tSack.stop()
	if a.sk.pending {
		a.sk.now = true
	}
}

// appendSack appends a SACK chunk (3.3.4) fitting in room bytes: as many
// gap blocks and duplicate TSNs as fit.
func (a *Assoc) appendSack(pkt []byte, room int) []byte {
	if room < wire.SackHeaderLen {
		return pkt
	}
	gaps := a.tsns.gaps(a.gapBuf[:0], min(maxGaps, (room-wire.SackHeaderLen)/4))
	nd := min(a.tsns.nDups, (room-wire.SackHeaderLen-4*len(gaps))/4)
	adv := a.rwndAvail()
	n := wire.SackHeaderLen + 4*len(gaps) + 4*nd
	pkt = append(pkt, byte(wire.ChunkSack), 0, byte(n>>8), byte(n))
	pkt = binary.BigEndian.AppendUint32(pkt, a.tsns.cum)
	pkt = binary.BigEndian.AppendUint32(pkt, adv)
	pkt = binary.BigEndian.AppendUint16(pkt, uint16(len(gaps)))
	pkt = binary.BigEndian.AppendUint16(pkt, uint16(nd))
	for _, g := range gaps {
		pkt = binary.BigEndian.AppendUint16(pkt, g.Start)
		pkt = binary.BigEndian.AppendUint16(pkt, g.End)
	}
	for _, d := range a.tsns.dups[:nd] {
		pkt = binary.BigEndian.AppendUint32(pkt, d)
	}
	a.tsns.nDups = 0
	a.sk.pending, a.sk.now, a.sk.pkts, a.sk.lastAdv = false, false, 0, adv
	a.tSack.stop()
	a.Stats.SacksSent++
	a.Stats.CtrlChunksSent++
	return pkt
}

// recvData handles a DATA chunk (RFC 9260 6.2): duplicates and TSNs too far
// ahead are reported or dropped, a chunk for an invalid stream is answered
// with an ERROR (6.5), a chunk beyond the window is dropped, and a new one
// is copied into reassembly.
func (a *Assoc) recvData(now int64, c wire.DataChunk) {
	switch a.state {
	case Established, ShutdownPending, ShutdownSent:
	default:
		a.Stats.NotInState++
		return
	}
	a.sk.gotData = true
	a.lastActive = now
	if c.I() {
		a.sk.urgent = true // RFC 7053 4.
	}
	tsn := c.TSN()
	switch a.tsns.classify(tsn) {
	case tsnDup:
		a.Stats.DupChunksReceived++
		a.tsns.addDup(tsn)
		a.sk.urgent = true // 6.2: a duplicate is acknowledged at once
		return
	case tsnFar:
		a.Stats.DataDropped++
		a.sk.urgent = true
		return
	}
	if c.StreamID() >= a.mis {
		// 6.5: report Invalid Stream Identifier; the TSN is acknowledged
		// but the data is not delivered.
		a.tsns.mark(tsn)
		if a.ctrlBudget > 0 {
			a.ctrlBudget--
			w := a.queue()
			w.BeginError()
			var info [4]byte
			binary.BigEndian.PutUint16(info[:], c.StreamID())
			w.Cause(wire.CauseInvalidStreamID, info[:])
			w.End()
			a.commit()
		}
		return
	}
	p := c.Payload()
	if !a.rwndRoom(tsn, len(p)) {
		a.Stats.DataDropped++
		a.sk.urgent = true // tell the sender the window at once
		return
	}
	if tsn != a.tsns.cum+1 {
		a.Stats.OutOfSeqTSNs++
	}
	a.tsns.mark(tsn)
	if c.U() {
		a.Stats.DataRecvUnordered++
	} else {
		a.Stats.DataRecvOrdered++
	}
	buf := a.rq.pool.get(len(p))
	copy(buf, p)
	a.rq.insert(rchunk{tsn: tsn, sid: c.StreamID(), ssn: c.SSN(), ppid: c.PPID(),
		flags: c.Flags() & (flagB | flagE | flagU), data: buf})
}
