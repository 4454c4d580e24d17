package assoc

import (
	"encoding/binary"
	"time"

	"github.com/sctp-xdp/sctp-xdp/wire"
)

// Packetization Layer PMTU Discovery (RFC 8899, with SCTP's probe of
// section 6.2: a HEARTBEAT padded with a PAD chunk, RFC 4820). With
// Config.PMTUProbe the primary path starts at BASE_PLPMTU and DATA is
// only cut to sizes a probe confirmed, so a path that silently drops large
// packets (a black hole, no ICMP) never swallows DATA; the search goes up
// to Config.PMTU, a probe size failing MAX_PROBES times bounds it, and
// the search restarts after PMTU_RAISE_TIMER. Repeated T3-rtx expiries
// with packets above the base size are taken as a black hole appearing:
// the path falls back to the base and searches again. Probes are not
// counted in flight (RFC 8899 4.4 lets probes bypass congestion control
// when they carry no user data).
const (
	basePLPMTU      = 1200 // BASE_PLPMTU (RFC 8899 5.1.2)
	maxProbes       = 3    // MAX_PROBES (5.1.2)
	plpmtuRaise     = int64(600 * time.Second)
	plpmtuGrain     = 16 // search granularity in bytes
	probeMagic      = 0x504C504D
	probeInfoLen    = 12
	blackHoleErrors = 2 // consecutive T3 expiries taken as a black hole
)

type plpmtud struct {
	on      bool
	lo, hi  int // largest confirmed size, smallest failed size (IP MTUs)
	size    int // size probed
	count   int // probes sent at size
	nonce   uint32
	pending bool // a probe waits for NextPacket
	timer   timer
	done    bool // search complete until the raise timer
}

// plStart begins the search once the association is up.
func (a *Assoc) plStart(now int64) {
	if !a.cfg.PMTUProbe || len(a.paths) == 0 {
		return
	}
	p := &a.paths[a.primary]
	base := min(basePLPMTU, a.cfg.PMTU)
	a.pl = plpmtud{on: true, lo: base, hi: a.cfg.PMTU + 1}
	p.mtu = base
	if p.cc != nil {
		p.cc.SetMTU(base - p.ipHeaderLen())
	}
	a.plNext(now)
}

// plNext picks the next size to probe, or ends the search.
func (a *Assoc) plNext(now int64) {
	pl := &a.pl
	if pl.hi-pl.lo <= plpmtuGrain {
		pl.done, pl.pending = true, false
		pl.timer.start(now, plpmtuRaise)
		return
	}
	if pl.hi == a.cfg.PMTU+1 {
		pl.size = a.cfg.PMTU // optimistic: the configured MTU first
	} else {
		pl.size = (pl.lo + pl.hi) / 2
	}
	pl.size &^= 3
	pl.count, pl.done = 0, false
	a.plSend(now)
}

func (a *Assoc) plSend(now int64) {
	pl := &a.pl
	pl.count++
	pl.nonce = a.cfg.Rand.Uint32()
	pl.pending = true
	pl.timer.start(now, a.RTO())
}

// plTimeout: a probe went unanswered (or the raise timer fired).
func (a *Assoc) plTimeout(now int64) {
	pl := &a.pl
	pl.timer.stop()
	pl.pending = false
	if pl.done { // PMTU_RAISE_TIMER: look for a larger MTU again
		pl.hi = a.cfg.PMTU + 1
		a.plNext(now)
		return
	}
	if pl.count < maxProbes {
		a.plSend(now)
		return
	}
	pl.hi = pl.size
	a.plNext(now)
}

// plAck handles a HEARTBEAT ACK echoing one of our probes.
func (a *Assoc) plAck(now int64, info []byte) {
	pl := &a.pl
	if !pl.on || pl.done || len(info) != probeInfoLen || binary.BigEndian.Uint32(info) != probeMagic ||
		binary.BigEndian.Uint32(info[4:]) != pl.nonce || int(binary.BigEndian.Uint16(info[8:])) != pl.size {
		return
	}
	pl.timer.stop()
	pl.pending = false
	pl.lo = pl.size
	p := &a.paths[a.primary]
	p.mtu = pl.size
	if p.cc != nil {
		p.cc.SetMTU(pl.size - p.ipHeaderLen())
	}
	a.plNext(now)
}

// plBlackHole: T3 keeps expiring above the base size.
func (a *Assoc) plBlackHole(now int64) {
	p := &a.paths[a.primary]
	if !a.pl.on || a.fl.errors < blackHoleErrors || p.mtu <= min(basePLPMTU, a.cfg.PMTU) {
		return
	}
	a.plStart(now) // probes, not the suspicion, find the new size
}

// plProbe appends the probe packet: HEARTBEAT with the probe's info, then
// a PAD chunk filling the packet to the size probed.
func (a *Assoc) plProbe(now int64, buf []byte) []byte {
	pl := &a.pl
	pl.pending = false
	p := &a.paths[a.primary]
	total := pl.size - p.ipHeaderLen()
	pkt := binary.BigEndian.AppendUint16(buf, a.localPort)
	pkt = binary.BigEndian.AppendUint16(pkt, a.peerPort)
	pkt = binary.BigEndian.AppendUint32(pkt, a.peerTag)
	pkt = append(pkt, 0, 0, 0, 0)
	// HEARTBEAT (RFC 9260 3.3.5) with one Heartbeat Info parameter.
	pkt = append(pkt, byte(wire.ChunkHeartbeat), 0, 0, 4+4+probeInfoLen,
		0, byte(wire.ParamHeartbeatInfo), 0, 4+probeInfoLen)
	pkt = binary.BigEndian.AppendUint32(pkt, probeMagic)
	pkt = binary.BigEndian.AppendUint32(pkt, pl.nonce)
	pkt = binary.BigEndian.AppendUint16(pkt, uint16(pl.size))
	pkt = append(pkt, 0, 0)
	// PAD (RFC 4820 3) for the rest.
	pad := total - (len(pkt) - len(buf))
	if pad >= 4 {
		pkt = append(pkt, byte(wire.ChunkPad), 0, byte(pad>>8), byte(pad))
		for i := 4; i < pad; i++ {
			pkt = append(pkt, 0)
		}
	}
	a.Stats.CtrlChunksSent += 2
	stampCRC(pkt[len(buf):])
	return pkt
}
