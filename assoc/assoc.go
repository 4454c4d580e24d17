package assoc

import (
	"net/netip"

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

	paths   []path // one per peer address; paths[primary] is used for now
	primary int

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
	return &Assoc{cfg: r.cfg, resp: r, localPort: r.cfg.LocalPort}
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

// RTO is the primary path's current retransmission timeout in ns.
func (a *Assoc) RTO() int64 {
	if len(a.paths) == 0 {
		return int64(a.cfg.RTOInitial)
	}
	return a.paths[a.primary].rto
}

// NextEvent pops the next user notification.
func (a *Assoc) NextEvent() (Event, bool) { return a.events.pop() }

// sctpLimit is the largest SCTP packet for the primary path.
func (a *Assoc) sctpLimit() int {
	if len(a.paths) == 0 {
		return a.cfg.PMTU - 40
	}
	p := &a.paths[a.primary]
	return p.mtu - p.ipHeaderLen()
}

// pathMTU is the primary path's MTU.
func (a *Assoc) pathMTU() int {
	if len(a.paths) == 0 {
		return a.cfg.PMTU
	}
	return a.paths[a.primary].mtu
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
	return a.paths[a.primary].addr
}

func (a *Assoc) pathOf(addr netip.Addr) *path {
	for i := range a.paths {
		if a.paths[i].addr == addr {
			return &a.paths[i]
		}
	}
	return nil
}

func (a *Assoc) addPath(addr netip.Addr) {
	if usableAddr(addr) && a.pathOf(addr) == nil {
		a.paths = append(a.paths, newPath(addr, a.cfg))
	}
}

// queue starts a chunk item to the primary path with the peer's tag.
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
}

// Done reports whether the association has ended and has nothing left to
// send or report: its owner may forget it.
func (a *Assoc) Done() bool { return a.state == Closed && a.out.empty() && a.events.len() == 0 }
