package assoc

import (
	"net/netip"
	"slices"

	"github.com/sctp-xdp/sctp-xdp/wire"
)

// Assoc is one association's engine (RFC 9260 TCB). It is driven by
// Receive, HandleTimeout and the user calls, all taking now; its output is
// pulled with NextPacket, NextEvent and Deadline.
type Assoc struct {
	cfg  *Config
	resp *Responder // shared cookie keys, for INIT answered in a state (5.2.1, 5.2.2)

	state               State
	localPort, peerPort uint16
	localTag, peerTag   uint32

	localTSN  uint32 // next TSN we send
	peerTSN   uint32 // the peer's initial TSN
	peerARwnd uint32
	os, mis   uint16 // negotiated outbound and inbound streams

	peerAdapt    uint32
	hasPeerAdapt bool

	paths   []path // one per peer address (multihome.go)
	primary int    // the user's primary path (SetPrimary)
	tx      int    // the path new DATA takes: the primary or its stand-in
	rtx     int    // the alternate path for retransmissions after T3-rtx (6.4), or -1

	hbBuf     [wire.ParamHeaderLen + hbInfoLen]byte // HEARTBEAT info scratch
	hbBurstAt int64                                 // HB.Max.Burst window start (5.4)
	hbBurstN  int                                   // HEARTBEATs to unconfirmed paths in it

	initChunk  []byte // our INIT, for T1-init retransmission
	cookie     []byte // the State Cookie to echo, for T1-cookie retransmission
	initSentAt int64  // for the RTT sample of the handshake (Karn: only if not retransmitted)
	preserve   uint32 // Cookie Preservative (ms) for the next INIT (RFC 9260 5.2.6)

	t1, t2, t5 timer
	t3         timer // T3-rtx of the primary path (6.3.2)
	tSack      timer // delayed SACK (6.2)
	pl         plpmtud

	// Data transfer: receive side (tsnmap.go, reassembly.go, sack.go,
	// rwnd.go) and send side (sendqueue.go, inflight.go, retransmit.go,
	// transmit.go).
	tsns       tsnMap
	rq         reasm
	sk         sackState
	gapBuf     [maxGaps]wire.GapBlock
	ring       sendRing
	sq         sendQueue
	fl         inflight
	burst      int   // packets of new DATA since the last input (Max.Burst)
	ctrlBudget int   // control replies left for the packet being processed
	lastActive int64 // last DATA sent or received (autoclose)

	out    outQueue
	events eventQueue
	Stats  Stats

	gathered     Stats // Stats at the last GatherAndReset
	periodMaxRTO int64 // largest RTO since then
}

func newAssoc(r *Responder) *Assoc {
	return &Assoc{cfg: r.cfg, resp: r, localPort: r.cfg.LocalPort, rtx: -1}
}

// State is the association's state.
func (a *Assoc) State() State { return a.state }

// LocalTag is our verification tag: the peer puts it in every packet.
func (a *Assoc) LocalTag() uint32 { return a.localTag }

// PeerTag is the peer's verification tag.
func (a *Assoc) PeerTag() uint32 { return a.peerTag }

// PeerPort is the peer's SCTP port.
func (a *Assoc) PeerPort() uint16 { return a.peerPort }

// PeerAddrs appends the peer's transport addresses (primary first) to dst.
func (a *Assoc) PeerAddrs(dst []netip.Addr) []netip.Addr {
	if len(a.paths) == 0 {
		return dst
	}
	dst = append(dst, a.paths[a.primary].addr)
	for i, p := range a.paths {
		if i != a.primary {
			dst = append(dst, p.addr)
		}
	}
	return dst
}

// Streams gives the negotiated numbers of outbound and inbound streams.
func (a *Assoc) Streams() (out, in uint16) { return a.os, a.mis }

// PeerAdaptation gives the peer's Adaptation Code Point, if it sent one.
func (a *Assoc) PeerAdaptation() (uint32, bool) { return a.peerAdapt, a.hasPeerAdapt }

// RTO is the current path's retransmission timeout in ns (the primary's
// unless it failed over).
func (a *Assoc) RTO() int64 {
	if len(a.paths) == 0 {
		return int64(a.cfg.RTOInitial)
	}
	return a.paths[a.tx].rto
}

// NextEvent pops the next user notification.
func (a *Assoc) NextEvent() (Event, bool) { return a.events.pop() }

// sctpLimit is the largest SCTP packet for the path DATA takes now.
func (a *Assoc) sctpLimit() int {
	if len(a.paths) == 0 {
		return a.cfg.PMTU - 40
	}
	p := &a.paths[a.dataPath()]
	return p.mtu - p.ipHeaderLen()
}

// pathMTU is the MTU of the path DATA takes now.
func (a *Assoc) pathMTU() int {
	if len(a.paths) == 0 {
		return a.cfg.PMTU
	}
	return a.paths[a.dataPath()].mtu
}

// dataPath is the path the next DATA packet takes: the alternate chosen
// for retransmissions while some are marked (6.4), else a.tx.
func (a *Assoc) dataPath() int {
	if a.fl.nRetx > 0 && a.rtx >= 0 && a.rtx < len(a.paths) && a.paths[a.rtx].state == PathActive {
		return a.rtx
	}
	return a.tx
}

// resetSend forgets every queued and outstanding message (a restart,
// RFC 9260 5.2.4 A).
func (a *Assoc) resetSend() {
	a.ring.reset()
	a.sq.reset()
	list := a.fl.list[:0]
	a.fl = inflight{list: list}
}

// initData sets the data transfer state up once the peer's initial TSN,
// a_rwnd and stream counts are known (RFC 9260 5.1, 6).
func (a *Assoc) initData() {
	a.tsns.reset(a.peerTSN - 1)
	a.rq.reset(a.mis, a.cfg.PartialDeliveryPoint)
	a.sk = sackState{lastAdv: a.cfg.ARwnd}
	if cap(a.sq.nextSSN) < int(a.os) {
		a.sq.nextSSN = append(a.sq.nextSSN, make([]uint16, int(a.os)-len(a.sq.nextSSN))...)
	}
	if a.fl.outstanding() == 0 {
		a.fl.cumAck = a.localTSN - 1
	}
	a.fl.lastARwnd = int(a.peerARwnd)
	a.fl.peerRwnd = max(int(a.peerARwnd)-a.fl.flight, 0)
	for i := range a.paths {
		p := &a.paths[i]
		p.cc = a.cfg.CongestionControl(p.mtu-p.ipHeaderLen(), a.peerARwnd)
	}
	if len(a.paths) > 0 {
		a.noteRTO()
	}
}

func (a *Assoc) dst() netip.Addr {
	if len(a.paths) == 0 {
		return netip.Addr{}
	}
	return a.paths[a.tx].addr
}

func (a *Assoc) pathOf(addr netip.Addr) *path {
	addr = addr.Unmap()
	for i := range a.paths {
		if a.paths[i].addr == addr {
			return &a.paths[i]
		}
	}
	return nil
}

// addPath adds a peer address; confirmed ones are those the user gave
// Connect and the source of the INIT we answered (RFC 9260 5.4 rules 1
// and 2), the others wait for a HEARTBEAT ACK.
//
// An IPv4-mapped IPv6 address is kept as the IPv4 address it stands for
// (RFC 9260 5.1.2: IPv4 addresses travel as IPv4 Address parameters, and
// packets from the peer arrive over IPv4).
//
// A listed address of a family none of our LocalAddrs has is not kept: we
// could never reach it (5.1.2 ties the addresses used to the types both
// ends support).
func (a *Assoc) addPath(addr netip.Addr, confirmed bool) {
	addr = addr.Unmap()
	if !confirmed && len(a.cfg.LocalAddrs) > 0 &&
		!slices.ContainsFunc(a.cfg.LocalAddrs, func(l netip.Addr) bool { return l.Unmap().Is4() == addr.Is4() }) {
		return
	}
	if usableAddr(addr) && a.pathOf(addr) == nil {
		a.paths = append(a.paths, newPath(addr, a.cfg, confirmed))
	}
}

// queue starts a chunk item to the current path with the peer's tag.
func (a *Assoc) queue() *wire.Builder { return a.out.begin(a.localPort, a.peerPort, a.peerTag) }

func (a *Assoc) commit() { a.out.commit(a.dst(), false) }

func (a *Assoc) event(t EventType) { a.events.push(Event{Type: t, State: a.state}) }

// close moves to CLOSED, stopping every timer.
func (a *Assoc) close() {
	a.state = Closed
	a.t1.stop()
	a.t2.stop()
	a.t5.stop()
	a.t3.stop()
	a.tSack.stop()
	a.pl.timer.stop()
	a.pl.pending = false
	for i := range a.paths {
		a.paths[i].hb.stop()
		a.paths[i].hbOut = false
	}
}

// Done reports whether the association has ended and has nothing left to
// send or report: its owner may forget it.
func (a *Assoc) Done() bool { return a.state == Closed && a.out.empty() && a.events.len() == 0 }
