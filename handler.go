package sctpxdp

import (
	"net/netip"
	"time"

	"github.com/sctp-xdp/sctp-xdp/assoc"
	"github.com/sctp-xdp/sctp-xdp/fastpath"
)

// pollerHandler plugs the association engines into one poller: every port
// has an assoc.Endpoint on every poller, owning the associations whose tags
// carry that poller's index. Everything here runs on the poller's goroutine.
type pollerHandler struct {
	q        int
	poller   *fastpath.Poller // the poller this handler runs on
	ir       *ifaceRuntime
	ports    map[uint16]*portEngine
	assocs   map[assocKey]*Assoc
	blocked  map[*Assoc]struct{} // sends waiting for room in the engine
	draining map[*Assoc]error    // ended, with received data still to hand over
	timer    fastpath.Timer
	scratch  []byte // one received message on its way to the API
}

type assocKey = *assoc.Assoc

// portEngine is one endpoint's engine on one poller.
type portEngine struct {
	ep    *Endpoint
	eng   *assoc.Endpoint
	dirty bool
	// deadline is the engine's next deadline (0: none) as of its last
	// flush. Whatever changes the engine marks the port dirty, so that
	// the next Flush refreshes it; Flush and HandleTimer then cost one
	// comparison per idle port instead of a walk of its associations
	// (a thousand Dials are a thousand ports on the client's pollers).
	deadline int64
	stats    portStats // ended associations, opens, failures
	src      sources   // bound source addresses (endpoint_addrs.go)
}

// Control messages from the API (pointers: boxing them allocates nothing).
type (
	addPortReq struct {
		ep   *Endpoint
		cfg  assoc.Config
		done chan error
	}
	removePortReq struct {
		port  uint16
		stats portStats // result: the port's counters on this poller
		done  chan error
	}
)

type reqKind uint8

const (
	reqDial reqKind = iota + 1
	reqShutdown
	reqAbort
	reqStats
	reqGather
	reqFunc // run assocReq.fn (onpoller.go)
)

// kickMsg tells the poller that an Assoc's send ring has messages or its
// receive ring has room again; one per Assoc, sent only when its flag
// flips, so the poller's ring never fills with them.
type kickMsg struct{ a *Assoc }

// assocReq is an Assoc's one request in flight (its mutex serialises them).
type assocReq struct {
	a     *Assoc
	kind  reqKind
	peers []netip.Addr
	port  uint16
	fn    pollerFunc
	// reason is an ABORT's User-Initiated Abort reason (SCTP_ABORT).
	reason []byte
	// results
	stats assoc.Stats
	err   error
}

func (h *pollerHandler) HandlePacket(c *fastpath.Ctx, p *fastpath.Packet) {
	pi := assoc.PacketInfo{Src: p.Frame.Source, Dst: p.Frame.Destination,
		Size: p.Frame.End - p.Frame.L3Offset, ECN: p.Frame.ECN}
	pe := h.ports[p.SCTP.DstPort()]
	if pe == nil { // steered during an endpoint's closing: RFC 9260 8.4
		if b := c.NewPacket(); b != nil {
			if reply, ok := assoc.OOTB(&pi, p.SCTP, b); ok {
				c.Reply(p, reply)
			}
		}
		return
	}
	if pe.eng.NeedsResponder(&pi, p.SCTP) { // INIT, COOKIE ECHO of no association (slowpath.go)
		h.toSlow(c, p)
		return
	}
	pe.eng.Receive(c.Now, pi, p.SCTP)
	pe.dirty = true
}

func (h *pollerHandler) HandleICMP(c *fastpath.Ctx, m *fastpath.ICMP) {
	src, _ := m.Err.QuotedPorts()
	if pe := h.ports[src]; pe != nil && pe.eng.HandleICMP(c.Now, &m.Err) {
		pe.dirty = true
	}
}

func (h *pollerHandler) HandleTimer(c *fastpath.Ctx, t *fastpath.Timer) {
	for _, pe := range h.ports {
		if pe.deadline != 0 && pe.deadline <= c.Now {
			pe.eng.HandleTimeout(c.Now)
			pe.dirty = true
		}
	}
}

func (h *pollerHandler) HandleControl(c *fastpath.Ctx, msg any) {
	switch m := msg.(type) {
	case *addPortReq:
		cfg := m.cfg
		cfg.OwnerBits, cfg.Owner = h.ir.rt.Group().OwnerBits(), uint32(h.q)
		eng, err := assoc.NewEndpoint(cfg, h.ir.keys.keys(), c.Now)
		if err == nil {
			h.ports[cfg.LocalPort] = &portEngine{ep: m.ep, eng: eng, src: sourcesOf(m.ep.cfg.Addrs)}
		}
		m.done <- err
	case *removePortReq:
		if pe := h.ports[m.port]; pe != nil {
			for _, as := range pe.eng.Assocs() {
				if a := h.assocs[as]; a != nil {
					a.aborting = true
				}
				as.Abort(c.Now, nil)
			}
			h.flushPort(c, pe) // the ABORTs leave; the events close the Assocs
			m.stats = pe.stats
			delete(h.ports, m.port)
			// Ended associations whose reader never came back: what fits
			// in their rings stays readable, the rest goes with the port.
			for a, err := range h.draining {
				if a.ep == pe.ep {
					delete(h.draining, a)
					a.finish(err)
				}
			}
		}
		m.done <- nil
	case *assocReq:
		h.assocRequest(c, m)
	case *portStatsReq:
		h.portStats(m)
	case *portFunc:
		h.runPortFunc(c, m)
	case *slowReply: // slowpath.go
		h.sendSlowReply(c, m)
	case *slowAdopt:
		h.adoptSlow(c, m)
	case *rekeyReq: // cookiekey.go
		h.rekey(c)
	case *kickMsg:
		m.a.kicked.Store(false) // before draining: a later push kicks again
		h.drainTx(c, m.a)
		h.moveRx(m.a)
		// The reader made room: what moveRx took from the engine opened
		// the receive window, and its window update SACK (RFC 9260 6.2)
		// must leave in this Flush, not when the peer's zero window probe
		// comes a T3 timeout later.
		if pe := h.ports[m.a.ep.port]; pe != nil {
			pe.dirty = true
		}
	}
}

func (h *pollerHandler) assocRequest(c *fastpath.Ctx, r *assocReq) {
	a := r.a
	pe := h.ports[a.ep.port]
	r.err = nil
	switch {
	case pe == nil:
		r.err = ErrClosed
	case r.kind == reqFunc:
		eng := a.eng
		if eng != nil && h.assocs[eng] == nil {
			eng = nil // ended
		}
		r.err = r.fn(c, h, eng)
	case r.kind == reqDial:
		as, err := pe.eng.Connect(c.Now, r.peers, r.port)
		if err != nil {
			r.err = err
			break
		}
		a.eng = as
		h.assocs[as] = a
		// Published from the start: an INIT colliding with this one
		// (RFC 9260 5.2.1) must reach it from any queue.
		h.publish(pe, as, h.q)
	case a.eng == nil:
		r.err = ErrClosed
	case r.kind == reqShutdown:
		// Messages SendMsg accepted go first: the engine refuses sends
		// once shutting down (RFC 9260 9.2).
		h.drainTx(c, a)
		if a.txPending || !a.tx.Empty() {
			a.shutdownAfterTx = true
		} else {
			r.err = a.eng.Shutdown(c.Now)
		}
	case r.kind == reqAbort:
		h.discardTx(a)
		a.aborting = true
		r.err = a.eng.Abort(c.Now, r.reason)
	case r.kind == reqStats:
		r.stats = a.eng.Stats
	case r.kind == reqGather && h.assocs[a.eng] == nil: // ended: the last period, once
		r.stats, a.finalGather = a.finalGather, assoc.Stats{}
	case r.kind == reqGather:
		r.stats = a.eng.GatherAndReset()
	}
	if pe != nil {
		pe.dirty = true
	}
	a.done <- struct{}{}
}

// Flush delivers what the batch produced: events to the API, received
// messages, queued sends, and the packets the engines have to send; then
// arms the timer.
func (h *pollerHandler) Flush(c *fastpath.Ctx) {
	for a := range h.blocked {
		h.drainTx(c, a) // SACKs may have made room
	}
	for a, err := range h.draining {
		if h.moveRx(a); !a.rxPending() {
			delete(h.draining, a)
			a.finish(err)
		}
	}
	next := int64(0)
	for _, pe := range h.ports {
		if pe.dirty {
			h.flushPort(c, pe)
		}
		if d := pe.deadline; d != 0 && (next == 0 || d < next) {
			next = d
		}
	}
	if next != 0 {
		c.Schedule(&h.timer, next)
	} else {
		c.Cancel(&h.timer)
	}
}

func (h *pollerHandler) flushPort(c *fastpath.Ctx, pe *portEngine) {
	pe.dirty = false
	for {
		as, ev, ok := pe.eng.NextEvent()
		if !ok {
			break
		}
		h.event(c, pe, as, ev)
	}
	for _, as := range pe.eng.Assocs() {
		if a := h.assocs[as]; a != nil && (as.Readable() > 0 || a.rxHeldOK || len(a.rxBacklog) > 0) {
			h.moveRx(a)
		}
	}
	for {
		b := c.NewPacket()
		if b == nil {
			pe.dirty = true // out of TX frames: the rest at the next Flush
			break
		}
		pkt, dst, ok := pe.eng.NextPacket(c.Now, b)
		if !ok {
			break
		}
		c.SendFrom(pkt, pe.sources(dst), dst, 0) // parked while the next hop resolves; dropped without a route (the engine retransmits)
	}
	pe.deadline = pe.eng.Deadline()
}

func (h *pollerHandler) event(c *fastpath.Ctx, pe *portEngine, as *assoc.Assoc, ev assoc.Event) {
	a := h.assocs[as]
	switch ev.Type {
	case assoc.EventCommUp, assoc.EventRestart:
		if ev.Type == assoc.EventRestart {
			pe.stats.failures.Restart++
		}
		if a == nil { // a passive open
			a = newAssoc(pe.ep, h)
			a.eng = as
			a.peer = as.Primary()
			h.assocs[as] = a
			pe.stats.opened.Passive++
			if !pe.ep.offer(a) {
				a.aborting = true
				as.Abort(c.Now, nil) // nobody accepts: RFC 9260 allows refusing
				return
			}
		}
		if !a.peer.IsValid() { // an active open coming up
			a.peer = as.Primary()
			pe.stats.opened.Active++
		}
		h.publish(pe, as, h.q)
		h.notify(a, &ev)
		a.setUp()
	case assoc.EventCommLost, assoc.EventCantStrAssoc, assoc.EventShutdownComp:
		if a == nil {
			return
		}
		h.notify(a, &ev)
		err := error(nil)
		switch {
		case ev.Type == assoc.EventShutdownComp:
		case ev.TimedOut:
			err = ErrTimeout
		case ev.Type == assoc.EventCantStrAssoc:
			err = ErrRefused
		default:
			err = ErrAborted
		}
		h.publish(pe, as, -1)
		delete(h.assocs, as)
		delete(h.blocked, a)
		h.discardTx(a)
		a.final = as.Stats
		a.ext.peers = as.PeerAddrs(nil)     // getpaddrs after the end (endpoint_addrs.go)
		a.finalGather = as.GatherAndReset() // the engine is done with its counters
		pe.stats.noteEnd(&a.final, &ev, a.aborting)
		// Data received before the end is still the reader's.
		if h.moveRx(a); a.rxPending() {
			h.draining[a] = err
			return
		}
		a.finish(err)
	default:
		if a != nil {
			h.notify(a, &ev)
		}
	}
}

// drainTx moves the Assoc's queued messages into its engine until the
// engine's send buffer is full (then it retries at every Flush).
func (h *pollerHandler) drainTx(c *fastpath.Ctx, a *Assoc) {
	if a.eng == nil || h.assocs[a.eng] == nil {
		h.discardTx(a)
		return
	}
	moved := false
	for {
		if !a.txPending {
			m, ok := a.popTx()
			if !ok {
				break
			}
			a.txMsg, a.txPending = m, true
		}
		m := &a.txMsg
		var fl assoc.SendFlags
		if m.info.Unordered {
			fl |= assoc.SendUnordered
		}
		err := a.eng.Send(c.Now, m.info.Stream, m.info.PPID, fl, (*m.buf)[:m.n])
		if err == assoc.ErrWouldBlock {
			h.blocked[a] = struct{}{}
			break
		}
		if err != nil {
			a.setSendErr(a.mapErr(err))
		}
		putBuf(m.buf)
		a.txMsg, a.txPending, moved = txMsg{}, false, true
	}
	if !a.txPending {
		delete(h.blocked, a)
		if a.shutdownAfterTx && a.tx.Empty() {
			a.shutdownAfterTx = false
			a.eng.Shutdown(c.Now)
		}
	}
	if moved {
		a.wakeWriter()
		if pe := h.ports[a.ep.port]; pe != nil {
			pe.dirty = true
		}
	}
}

// discardTx drops what an ended association had queued.
func (h *pollerHandler) discardTx(a *Assoc) {
	if a.txPending {
		putBuf(a.txMsg.buf)
		a.txMsg, a.txPending = txMsg{}, false
	}
	for {
		m, ok := a.popTx()
		if !ok {
			break
		}
		putBuf(m.buf)
	}
	signal(a.writable)
}

// moveRx hands received messages (or parts, with partial delivery) from
// the engine to the Assoc's receive ring, as many as fit. When the ring is
// full the message in hand waits in rxHeld and rxStalled asks the reader to
// kick the poller once it has made room (set, then the push retried, so a
// pop in between is never missed).
func (h *pollerHandler) moveRx(a *Assoc) {
	if a.eng == nil {
		return
	}
	if h.scratch == nil {
		h.scratch = make([]byte, maxMessage)
	}
	moved := false
	for {
		if !a.rxHeldOK && len(a.rxBacklog) > 0 {
			a.rxHeld, a.rxHeldOK = a.rxBacklog[0], true
			a.rxBacklog[0] = rxMsg{}
			a.rxBacklog = a.rxBacklog[1:]
		}
		if !a.rxHeldOK {
			if a.eng.Readable() == 0 {
				break
			}
			n, info, ok := a.eng.Recv(h.scratch)
			if !ok {
				break
			}
			bp := getBuf(n)
			copy(*bp, h.scratch[:n])
			a.rxHeld, a.rxHeldOK = rxMsg{buf: bp, n: n, info: info}, true
		}
		if !a.rx.Push(a.rxHeld) {
			a.rxStalled.Store(true)
			if !a.rx.Push(a.rxHeld) {
				break
			}
			a.rxStalled.Store(false)
		}
		a.rxHeld, a.rxHeldOK, moved = rxMsg{}, false, true
	}
	if moved {
		signal(a.readable)
		a.readyMany() // a one-to-many endpoint's ready queue (endpoint_many.go)
	}
}

// rxPending reports whether received data has not reached the ring yet.
func (a *Assoc) rxPending() bool {
	return a.rxHeldOK || len(a.rxBacklog) > 0 || a.eng.Readable() > 0
}

// publish routes packets without a usable tag (T bit, ICMP) for the
// association's peer addresses to owner (-1 removes).
func (h *pollerHandler) publish(pe *portEngine, as *assoc.Assoc, owner int) {
	var buf [4]netip.Addr
	for _, peer := range as.PeerAddrs(buf[:0]) {
		h.ir.rt.Group().Shared().Set(fastpath.TupleKey{Peer: peer, LocalPort: pe.ep.port, PeerPort: as.PeerPort()}, owner)
	}
}

// pushUntil calls push until it succeeds (true) or stop closes (false),
// waiting every between tries: a full ring is drained by its reader (a
// poller, the slow path), so the next try is likely to find room.
func pushUntil(push func() bool, stop <-chan struct{}, every time.Duration) bool {
	for !push() {
		select {
		case <-stop:
			return false
		case <-time.After(every):
		}
	}
	return true
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
