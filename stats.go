package sctpxdp

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/sctp-xdp/sctp-xdp/assoc"
	"github.com/sctp-xdp/sctp-xdp/bpf"
	"github.com/sctp-xdp/sctp-xdp/fastpath"
)

// Stats are an association's counters (design.md 7): the thirteen fields of
// Solaris' sctp_assoc_stats (SCTP_GET_ASSOC_STATS) first, then the engine's
// own. MaxRTO is in nanoseconds.
type Stats = assoc.Stats

// AssocInfo is one live association's entry in Endpoint.AssocStats.
type AssocInfo struct {
	ID    uint32
	Peer  netip.Addr // the primary peer address
	State string     // RFC 9260 4 state name
	Stats Stats
}

// StateCount is how many live associations are in one RFC 9260 state.
type StateCount struct {
	State string
	N     uint64
}

// Opened counts associations established, by who opened them.
type Opened struct{ Active, Passive uint64 }

// Failures counts associations that ended badly or restarted, by reason
// (design.md 7: sctp_association_failures_total{reason}).
type Failures struct{ Timeout, AbortReceived, AbortSent, Restart uint64 }

// EndpointStats are an endpoint's totals: Totals sums every association
// it has had, live or ended (design.md 7: closed associations still count).
type EndpointStats struct {
	Port     uint16
	Totals   Stats
	MaxRTO   time.Duration // largest current RTO among live associations
	States   []StateCount  // every RFC 9260 state, in the RFC's order
	Opened   Opened
	Failures Failures
}

// Count is a named counter.
type Count struct {
	Name  string
	Value uint64
}

// QueueStats are one AF_XDP socket's kernel counters (XDP_STATISTICS).
type QueueStats struct {
	Queue  int
	Events []Count // rx_dropped, rx_invalid_descs, tx_invalid_descs, rx_ring_full, rx_fill_ring_empty_descs, tx_ring_empty_descs
}

// InterfaceStats are the packet counters of the endpoint's interface,
// shared by every endpoint on it.
type InterfaceStats struct {
	Interface                    string
	PacketsReceived, PacketsSent uint64  // SCTP packets, summed over pollers
	Drops                        []Count // by reason (design.md 7 names)
	Program                      []Count // the XDP program's counters, by verdict
	Queues                       []QueueStats
	// SlowPath counts the handshake work of the slow path (design.md 3)
	// and of the hand-overs to the pollers, by event.
	SlowPath []Count
}

// portStats is one poller's share of an endpoint's stats, all of it
// written by that poller only: live associations are read on request, the
// ended ones are folded in when they end.
type portStats struct {
	ended    Stats
	opened   Opened
	failures Failures
}

type portStatsReq struct {
	port   uint16
	assocs bool // also list the live associations
	// results
	ps     portStats
	live   Stats
	maxRTO int64
	states [numStates]uint64
	list   []AssocInfo
	done   chan error
}

// numStates is the number of RFC 9260 states assoc names.
const numStates = int(assoc.ShutdownAckSent) + 1

// portStats answers a portStatsReq on the poller.
func (h *pollerHandler) portStats(r *portStatsReq) {
	pe := h.ports[r.port]
	if pe == nil {
		r.done <- ErrClosed
		return
	}
	r.ps = pe.stats
	var buf [1]netip.Addr
	for _, as := range pe.eng.Assocs() {
		st := as.Stats
		addStats(&r.live, &st)
		r.maxRTO = max(r.maxRTO, as.RTO())
		if s := int(as.State()); s < numStates {
			r.states[s]++
		}
		if a := h.assocs[as]; a != nil && r.assocs {
			peer := netip.Addr{}
			if p := as.PeerAddrs(buf[:0]); len(p) > 0 {
				peer = p[0]
			}
			r.list = append(r.list, AssocInfo{ID: a.id, Peer: peer, State: as.State().String(), Stats: st})
		}
	}
	r.done <- nil
}

// noteEnd folds an ended association into the poller's totals; failure
// reasons come from the event (RFC 9260 8.1 timeouts, 9.1 ABORTs).
func (ps *portStats) noteEnd(st *Stats, ev *assoc.Event, abortedByUs bool) {
	addStats(&ps.ended, st)
	switch {
	case ev.Type == assoc.EventShutdownComp:
	case ev.TimedOut:
		ps.failures.Timeout++
	case abortedByUs:
		ps.failures.AbortSent++
	case ev.Causes != nil: // a received ABORT's causes (assoc copies them)
		ps.failures.AbortReceived++
	case ev.Cause != 0: // the engine aborted with a cause (protocol violation)
		ps.failures.AbortSent++
	default: // T1, T2 or T5 ran out, or an ABORT without causes arrived
		ps.failures.Timeout++
	}
}

func (ps *portStats) add(o *portStats) {
	addStats(&ps.ended, &o.ended)
	ps.opened.Active += o.opened.Active
	ps.opened.Passive += o.opened.Passive
	ps.failures.Timeout += o.failures.Timeout
	ps.failures.AbortReceived += o.failures.AbortReceived
	ps.failures.AbortSent += o.failures.AbortSent
	ps.failures.Restart += o.failures.Restart
}

// addStats adds s to d; MaxRTO takes the larger.
func addStats(d, s *Stats) {
	d.RtxChunks += s.RtxChunks
	d.GapAcksReceived += s.GapAcksReceived
	d.MaxRTO = max(d.MaxRTO, s.MaxRTO)
	d.OutOfSeqTSNs += s.OutOfSeqTSNs
	d.SacksSent += s.SacksSent
	d.SacksReceived += s.SacksReceived
	d.CtrlChunksSent += s.CtrlChunksSent
	d.CtrlChunksReceived += s.CtrlChunksReceived
	d.DataSentOrdered += s.DataSentOrdered
	d.DataSentUnordered += s.DataSentUnordered
	d.DataRecvOrdered += s.DataRecvOrdered
	d.DataRecvUnordered += s.DataRecvUnordered
	d.DupChunksReceived += s.DupChunksReceived
	d.T3Expiries += s.T3Expiries
	d.FastRetransmits += s.FastRetransmits
	d.DataDropped += s.DataDropped
	d.ProtocolViolations += s.ProtocolViolations
	d.ICMPAccepted += s.ICMPAccepted
	d.ICMPIgnored += s.ICMPIgnored
	d.PktDrops += s.PktDrops
	d.Unrecognized += s.Unrecognized
	d.Discarded += s.Discarded
	d.NotInState += s.NotInState
	d.HeartbeatsAckd += s.HeartbeatsAckd
	d.EventsDropped += s.EventsDropped
	d.HeartbeatsSent += s.HeartbeatsSent
}

// gather asks every poller for its share; e.statsMu is held.
func (e *Endpoint) gather(list bool) ([]*portStatsReq, error) {
	if e.rtClosed {
		return nil, nil
	}
	rs := make([]*portStatsReq, 0, len(e.ir.handlers))
	for _, h := range e.ir.handlers {
		r := &portStatsReq{port: e.port, assocs: list, done: make(chan error, 1)}
		if err := e.control(h, r, r.done); err != nil {
			return nil, err
		}
		rs = append(rs, r)
	}
	return rs, nil
}

// Stats returns the endpoint's totals: every association it has had,
// those ended included, and the live ones by state. The pollers read
// their engines; the caller never touches them.
func (e *Endpoint) Stats() (EndpointStats, error) {
	e.statsMu.Lock()
	defer e.statsMu.Unlock()
	s := EndpointStats{Port: e.port}
	ps := e.retired
	var states [numStates]uint64
	rs, err := e.gather(false)
	if err != nil {
		return s, err
	}
	for _, r := range rs {
		ps.add(&r.ps)
		addStats(&ps.ended, &r.live)
		s.MaxRTO = max(s.MaxRTO, time.Duration(r.maxRTO))
		for i, n := range r.states {
			states[i] += n
		}
	}
	s.Totals, s.Opened, s.Failures = ps.ended, ps.opened, ps.failures
	for i, n := range states {
		s.States = append(s.States, StateCount{State: assoc.State(i).String(), N: n})
	}
	return s, nil
}

// AssocStats lists the live associations with their counters.
func (e *Endpoint) AssocStats() ([]AssocInfo, error) {
	e.statsMu.Lock()
	defer e.statsMu.Unlock()
	rs, err := e.gather(true)
	if err != nil {
		return nil, err
	}
	var out []AssocInfo
	for _, r := range rs {
		out = append(out, r.list...)
	}
	return out, nil
}

// InterfaceStats reads the counters of the endpoint's interface: the
// pollers' packet and drop counters, the XDP program's and the sockets'.
func (e *Endpoint) InterfaceStats() (InterfaceStats, error) {
	e.statsMu.Lock()
	defer e.statsMu.Unlock()
	if e.rtClosed {
		return InterfaceStats{}, ErrClosed
	}
	rt := e.ir.rt
	s := InterfaceStats{Interface: e.cfg.Interface}
	var drops [fastpath.NumDropReasons]uint64
	for _, p := range rt.Group().Pollers() {
		ps := p.Stats()
		s.PacketsReceived += ps.RxPackets
		s.PacketsSent += ps.TxPackets
		for i, n := range ps.Drops {
			drops[i] += n
		}
	}
	for i, n := range drops {
		s.Drops = append(s.Drops, Count{fastpath.DropReason(i).String(), n})
	}
	if prog := rt.Program(); prog != nil {
		c, err := prog.Counters()
		if err != nil {
			return s, fmt.Errorf("sctp-xdp: %w", err)
		}
		for i, n := range c {
			s.Program = append(s.Program, Count{bpf.Reason(i).String(), n})
		}
	}
	s.SlowPath = e.ir.slow.stats.counts()
	for _, sk := range rt.Sockets() {
		st, err := sk.Statistics()
		if err != nil {
			return s, fmt.Errorf("sctp-xdp: %w", err)
		}
		s.Queues = append(s.Queues, QueueStats{Queue: sk.Queue(), Events: []Count{
			{"rx_dropped", st.RXDropped}, {"rx_invalid_descs", st.RXInvalidDescs},
			{"tx_invalid_descs", st.TXInvalidDescs}, {"rx_ring_full", st.RXRingFull},
			{"rx_fill_ring_empty_descs", st.RXFillRingEmptyDescs}, {"tx_ring_empty_descs", st.TXRingEmptyDescs},
		}})
	}
	return s, nil
}

// ID is the association's id, unique within its endpoint.
func (a *Assoc) ID() uint32 { return a.id }

// PeerAddr is the peer's primary address when the association came up.
func (a *Assoc) PeerAddr() netip.Addr { return a.peer }

// GatherAndReset gives Solaris' SCTP_GET_ASSOC_STATS semantics on this
// handle (design.md 7): the counts since its previous call and the largest
// RTO of that period (MaxRTO). After the end, the first call returns the
// last period, later calls zeros.
func (a *Assoc) GatherAndReset() Stats {
	a.mu.Lock()
	defer a.mu.Unlock()
	select {
	case <-a.closed:
		return a.takeFinalGather()
	default:
	}
	a.req = assocReq{a: a, kind: reqGather}
	if err := a.call(); err != nil {
		select {
		case <-a.closed:
		case <-time.After(time.Second):
			return Stats{}
		}
		return a.takeFinalGather()
	}
	return a.req.stats
}

// takeFinalGather returns the period the poller gathered at the end, once;
// a.mu is held.
func (a *Assoc) takeFinalGather() Stats {
	s := a.finalGather
	a.finalGather = Stats{}
	return s
}
