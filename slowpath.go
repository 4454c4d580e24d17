package sctpxdp

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sctp-xdp/sctp-xdp/assoc"
	"github.com/sctp-xdp/sctp-xdp/fastpath"
	"github.com/sctp-xdp/sctp-xdp/wire"
)

// The slow path of design.md 3. A poller gives it the INIT and COOKIE ECHO
// that match no association of theirs (assoc.Endpoint.NeedsResponder);
// everything matching an association, INIT and COOKIE ECHO included (RFC
// 9260 5.2), stays with the association's engine on its poller. The slow
// path keeps one stateless assoc.Responder per port:
//   - INIT: an INIT ACK whose Initiate Tag names, in its owner bits, the
//     poller that received the INIT (RSS keeps the tuple on its queue);
//   - COOKIE ECHO: the new association, published in the shared table and
//     handed to the poller its tag names, which adopts it
//     (assoc.Endpoint.Adopt) and sends the COOKIE ACK.
// The slow path has no TX: every reply (INIT ACK, the ERROR of a stale
// cookie, the ABORTs of RFC 9260 5.1.2 and 3.3.2.1) travels to the
// receiving poller in a slowReply, which sends it to the frame's
// link-layer source (design.md 4).

// slowPath is an interface's fastpath.SlowHandler; its maps are its
// goroutine's.
type slowPath struct {
	ir    *ifaceRuntime
	ports map[uint16]*slowPort
	buf   []byte // the reply being built
	// epochs[q] is when poller q's clock (fastpath.Ctx.Now) read zero,
	// noted by q before it first hands a packet over: the slow path works
	// in the clock of the poller a packet came from, so cookie times and
	// the new association's timers need no conversion.
	epochs [fastpath.MaxPollers]time.Time
	stats  slowStats
	// rekeyed: the keys changed (rekeyReq) or a port came; the responders
	// install them at the next packet, in its poller's clock (the slow
	// path has none of its own).
	rekeyed bool
}

// slowPort is one endpoint's responder.
type slowPort struct {
	ep   *Endpoint
	resp *assoc.Responder
}

// slowStats count the slow path's decisions (read by tests and stats).
type slowStats struct {
	initAcks, otherReplies     atomic.Uint64 // INIT ACKs; ABORTs and stale cookie ERRORs
	accepted, refused, noPort  atomic.Uint64 // cookies; packets for a port being removed
	handOverFull, replyDropped atomic.Uint64 // a poller's ring was full
	// Counted by the pollers: newcomers dropped for an existing association
	// (which answered), refused, or whose endpoint had closed.
	adoptExisting, adoptRefused, adoptOrphaned atomic.Uint64
	keyRotations                               atomic.Uint64 // of the State Cookie secret (cookiekey.go)
}

// counts names the counters for InterfaceStats (atomics: any goroutine).
func (st *slowStats) counts() []Count {
	return []Count{
		{"init_acks", st.initAcks.Load()}, {"other_replies", st.otherReplies.Load()},
		{"cookies_accepted", st.accepted.Load()}, {"cookies_refused", st.refused.Load()},
		{"no_port", st.noPort.Load()}, {"hand_over_full", st.handOverFull.Load()},
		{"reply_dropped", st.replyDropped.Load()}, {"adopt_existing", st.adoptExisting.Load()},
		{"adopt_refused", st.adoptRefused.Load()}, {"adopt_orphaned", st.adoptOrphaned.Load()},
		{"key_rotations", st.keyRotations.Load()},
	}
}

// Requests to the slow path (SlowPath.Request), answered on done.
type (
	slowAddPortReq struct {
		ep   *Endpoint
		cfg  assoc.Config
		done chan error
	}
	slowRemovePortReq struct {
		port uint16
		done chan struct{}
	}
)

// Hand-overs from the slow path to a poller (SlowPath.HandOver).
type (
	// slowReply is a stateless reply for the poller to send back to the
	// sender of in (Ctx.Reply). Pooled: an INIT flood allocates nothing.
	slowReply struct {
		port uint16
		in   fastpath.Packet // Frame.Eth, Source and Destination of the packet answered
		pkt  []byte
	}
	// slowAdopt is an association for the poller to adopt, with the
	// COOKIE ECHO that made it (an existing association answers it when
	// the hand-over lost a race, assoc.AdoptedExisting).
	slowAdopt struct {
		ep  *Endpoint
		as  *assoc.Assoc
		pi  assoc.PacketInfo
		in  fastpath.Packet // the COOKIE ECHO's frame: where an ABORT goes
		raw []byte          // the COOKIE ECHO packet (SCTP), a copy
	}
)

var replyPool = sync.Pool{New: func() any { return new(slowReply) }}

func newSlowPath(ir *ifaceRuntime) *slowPath {
	return &slowPath{ir: ir, ports: map[uint16]*slowPort{}}
}

// now is poller q's clock.
func (s *slowPath) now(q int) int64 { return int64(time.Since(s.epochs[q])) }

// toSlow hands the packet to the slow path (on poller h).
func (h *pollerHandler) toSlow(c *fastpath.Ctx, p *fastpath.Packet) {
	s := h.ir.slow
	if s.epochs[h.q].IsZero() { // once per poller; before the push that publishes it
		s.epochs[h.q] = time.Now().Add(-time.Duration(c.Now))
	}
	c.ToSlowPath(p) // a full ring drops and counts (no_buffer): the peer retransmits
}

// HandleRequest adds and removes ports.
func (s *slowPath) HandleRequest(sp *fastpath.SlowPath, req any) {
	switch m := req.(type) {
	case *slowAddPortReq:
		cfg := m.cfg
		cfg.OwnerBits, cfg.Owner = sp.Group().OwnerBits(), 0
		r, err := assoc.NewResponder(&cfg, s.ir.keys.keys(), 0)
		if err == nil {
			s.ports[cfg.LocalPort] = &slowPort{ep: m.ep, resp: r}
			s.rekeyed = true // the previous key's validity, in a poller's clock
		}
		m.done <- err
	case *slowRemovePortReq:
		delete(s.ports, m.port)
		close(m.done)
	case *rekeyReq:
		s.rekeyed = true
	case interface{ run(*slowPath) }: // slowConfigReq (options.go)
		m.run(s)
	}
}

// installKeys gives every responder the keys in force at now.
func (s *slowPath) installKeys(now int64) {
	s.rekeyed = false
	ks := s.ir.keys.keys()
	for _, p := range s.ports {
		p.resp.SetKeys(ks, now) // valid keys: no error
	}
}

// HandleSlow answers an INIT or accepts a COOKIE ECHO.
func (s *slowPath) HandleSlow(sp *fastpath.SlowPath, p *fastpath.Packet) {
	port := s.ports[p.SCTP.DstPort()]
	if port == nil || p.Poller < 0 || p.Poller >= len(sp.Group().Pollers()) {
		s.stats.noPort.Add(1)
		return
	}
	now := s.now(p.Poller)
	if s.rekeyed {
		s.installKeys(now)
	}
	pi := assoc.PacketInfo{Src: p.Frame.Source, Dst: p.Frame.Destination,
		Size: p.Frame.End - p.Frame.L3Offset, ECN: p.Frame.ECN}
	first, _ := p.SCTP.FirstChunk()
	switch first.Type() {
	case wire.ChunkInit:
		if port.resp.SetOwner(uint32(p.Poller)) != nil {
			return
		}
		reply, ok := port.resp.HandleInit(now, &pi, p.SCTP, s.buf[:0])
		s.buf = reply[:0]
		if ok {
			if c, _ := wire.SCTP(reply).FirstChunk(); c.Type() == wire.ChunkInitAck {
				s.stats.initAcks.Add(1)
			} else {
				s.stats.otherReplies.Add(1)
			}
			s.reply(sp, p, reply)
		}
	case wire.ChunkCookieEcho:
		a, reply, _ := port.resp.AcceptCookie(now, &pi, p.SCTP, s.buf[:0]) // failures are silent (5.1.5)
		s.buf = reply[:0]
		switch {
		case a != nil:
			s.handOver(sp, port, a, p, &pi)
		case len(reply) > 0: // a stale cookie's ERROR (5.1.5 step 3)
			s.stats.otherReplies.Add(1)
			s.reply(sp, p, reply)
		default:
			s.stats.refused.Add(1)
		}
	}
}

// reply hands a stateless reply to the poller that received p.
func (s *slowPath) reply(sp *fastpath.SlowPath, p *fastpath.Packet, pkt []byte) {
	m := replyPool.Get().(*slowReply)
	m.port = p.SCTP.DstPort()
	m.in.Frame = wire.Frame{Eth: p.Frame.Eth, Source: p.Frame.Source, Destination: p.Frame.Destination}
	m.pkt = append(m.pkt[:0], pkt...)
	if !sp.HandOver(p.Poller, m) {
		s.stats.replyDropped.Add(1) // the peer retransmits its INIT
		replyPool.Put(m)
	}
}

// handOver publishes a new association and gives it to its owner: the
// poller its tag names (the one that received the INIT).
func (s *slowPath) handOver(sp *fastpath.SlowPath, port *slowPort, a *assoc.Assoc, p *fastpath.Packet, pi *assoc.PacketInfo) {
	g := sp.Group()
	owner := fastpath.OwnerOf(a.LocalTag(), g.OwnerBits())
	if owner >= len(g.Pollers()) {
		s.stats.refused.Add(1)
		return
	}
	// Published before the COOKIE ACK leaves (it leaves from the owner,
	// after this): packets without a usable tag find the owner.
	var buf [8]netip.Addr
	peers := a.PeerAddrs(buf[:0])
	var fresh [8]bool // keys this call added, undone if the hand-over fails
	for i, peer := range peers {
		k := fastpath.TupleKey{Peer: peer, LocalPort: port.ep.port, PeerPort: a.PeerPort()}
		if _, ok := g.Shared().Lookup(k); !ok && i < len(fresh) {
			fresh[i] = true
		}
		g.Shared().Set(k, owner)
	}
	m := &slowAdopt{ep: port.ep, as: a, pi: *pi, raw: append([]byte(nil), p.SCTP...)}
	m.in.Frame = wire.Frame{Eth: p.Frame.Eth, Source: p.Frame.Source, Destination: p.Frame.Destination}
	if !sp.HandOver(owner, m) {
		s.stats.handOverFull.Add(1) // the peer retransmits its COOKIE ECHO
		for i, peer := range peers {
			if i < len(fresh) && fresh[i] {
				g.Shared().Set(fastpath.TupleKey{Peer: peer, LocalPort: port.ep.port, PeerPort: a.PeerPort()}, -1)
			}
		}
		return
	}
	s.stats.accepted.Add(1)
}

// sendSlowReply sends a slowReply on the poller.
func (h *pollerHandler) sendSlowReply(c *fastpath.Ctx, m *slowReply) {
	defer replyPool.Put(m)
	if h.ports[m.port] == nil {
		return // the port closed meanwhile
	}
	if b := c.NewPacket(); b != nil {
		c.Reply(&m.in, append(b, m.pkt...))
	}
}

// adoptSlow takes a new association from the slow path into the port's
// engine; its COOKIE ACK leaves and COMM_UP surfaces in this Flush
// (flushPort, event).
func (h *pollerHandler) adoptSlow(c *fastpath.Ctx, m *slowAdopt) {
	pe := h.ports[m.ep.port]
	if pe == nil || pe.ep != m.ep {
		h.abortOrphan(c, m)
		return
	}
	switch pe.eng.Adopt(c.Now, m.as, m.pi, m.raw) {
	case assoc.AdoptRefused:
		// Its tag is a live association's (2^-24 per association): the
		// peer gets an ABORT and starts again with a new INIT, instead of
		// retransmitting a COOKIE ECHO refused every time.
		h.ir.slow.stats.adoptRefused.Add(1)
		var buf [8]netip.Addr
		for _, peer := range m.as.PeerAddrs(buf[:0]) {
			if !pe.eng.Associated(peer, m.as.PeerPort()) {
				h.ir.rt.Group().Shared().Set(fastpath.TupleKey{Peer: peer, LocalPort: m.ep.port, PeerPort: m.as.PeerPort()}, -1)
			}
		}
		h.abortNewcomer(c, m)
	case assoc.AdoptedExisting:
		h.ir.slow.stats.adoptExisting.Add(1)
	}
	pe.dirty = true
}

// abortOrphan answers for an association whose endpoint closed during its
// hand-over: it never existed here, so the peer gets an ABORT with its tag
// (RFC 9260 8.4 would have answered the COOKIE ECHO so had it come now)
// and the shared table forgets it.
func (h *pollerHandler) abortOrphan(c *fastpath.Ctx, m *slowAdopt) {
	h.ir.slow.stats.adoptOrphaned.Add(1)
	var buf [8]netip.Addr
	for _, peer := range m.as.PeerAddrs(buf[:0]) {
		h.ir.rt.Group().Shared().Set(fastpath.TupleKey{Peer: peer, LocalPort: m.ep.port, PeerPort: m.as.PeerPort()}, -1)
	}
	h.abortNewcomer(c, m)
}

// abortNewcomer sends the peer of an association that was not adopted an
// ABORT with its tag, to the link-layer source of its COOKIE ECHO.
func (h *pollerHandler) abortNewcomer(c *fastpath.Ctx, m *slowAdopt) {
	b := c.NewPacket()
	if b == nil {
		return
	}
	var w wire.Builder
	w.Start(b, m.ep.port, m.as.PeerPort(), m.as.PeerTag())
	w.BeginAbort(false)
	w.End()
	if pkt, err := w.Finish(); err == nil {
		c.Reply(&m.in, pkt)
	}
}

// slowRequest sends a request to the interface's slow path; false once the
// runtime has closed (nobody would answer).
func (e *Endpoint) slowRequest(req any) bool {
	return pushUntil(func() bool { return e.ir.sp.Request(req) }, e.ir.closed, time.Millisecond)
}

// awaitRuntime waits for an answer on done, or the runtime's end.
func awaitRuntime[T any](e *Endpoint, done chan T) (T, bool) {
	select {
	case v := <-done:
		return v, true
	case <-e.ir.closed:
		var zero T
		return zero, false
	}
}

// addSlowPort gives the slow path a responder for the endpoint's port.
func (e *Endpoint) addSlowPort(cfg assoc.Config) error {
	req := &slowAddPortReq{ep: e, cfg: cfg, done: make(chan error, 1)}
	if !e.slowRequest(req) {
		return ErrClosed
	}
	err, ok := awaitRuntime(e, req.done)
	if !ok {
		return ErrClosed
	}
	return err
}

// removeSlowPort forgets the port on the slow path; packets and hand-overs
// in flight find no port (dropped, or ABORTed by abortOrphan).
func (e *Endpoint) removeSlowPort() {
	req := &slowRemovePortReq{port: e.port, done: make(chan struct{})}
	if e.slowRequest(req) {
		awaitRuntime(e, req.done)
	}
}
