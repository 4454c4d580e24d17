package sctpxdp

import (
	"io"
	"net/netip"

	"github.com/sctp-xdp/sctp-xdp/assoc"
	"github.com/sctp-xdp/sctp-xdp/fastpath"
)

// pollerHandler plugs the association engines into one poller: every port
// has an assoc.Endpoint on every poller, owning the associations whose tags
// carry that poller's index. Everything here runs on the poller's goroutine.
type pollerHandler struct {
	q      int
	ir     *ifaceRuntime
	ports  map[uint16]*portEngine
	assocs map[assocKey]*Assoc
	timer  fastpath.Timer
	oob    [1500]byte
}

type assocKey = *assoc.Assoc

// portEngine is one endpoint's engine on one poller.
type portEngine struct {
	ep    *Endpoint
	eng   *assoc.Endpoint
	dirty bool
}

// Control messages from the API (pointers: boxing them allocates nothing).
type (
	addPortReq struct {
		ep   *Endpoint
		cfg  assoc.Config
		done chan error
	}
	removePortReq struct {
		port uint16
		done chan error
	}
)

type reqKind uint8

const (
	reqDial reqKind = iota + 1
	reqSend
	reqRecv
	reqShutdown
	reqAbort
	reqStats
)

// assocReq is an Assoc's one request in flight (its mutex serialises them).
type assocReq struct {
	a     *Assoc
	kind  reqKind
	peers []netip.Addr
	port  uint16
	send  SndInfo
	buf   []byte
	// results
	n     int
	info  assoc.RecvInfo
	ok    bool
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
		pe.eng.HandleTimeout(c.Now)
		pe.dirty = true
	}
}

func (h *pollerHandler) HandleControl(c *fastpath.Ctx, msg any) {
	switch m := msg.(type) {
	case *addPortReq:
		cfg := m.cfg
		cfg.OwnerBits, cfg.Owner = h.ir.rt.Group().OwnerBits(), uint32(h.q)
		eng, err := assoc.NewEndpoint(cfg, h.ir.cookie, c.Now)
		if err == nil {
			h.ports[cfg.LocalPort] = &portEngine{ep: m.ep, eng: eng}
		}
		m.done <- err
	case *removePortReq:
		if pe := h.ports[m.port]; pe != nil {
			for _, as := range pe.eng.Assocs() {
				as.Abort(c.Now, nil)
			}
			h.flushPort(c, pe) // the ABORTs leave; the events close the Assocs
			delete(h.ports, m.port)
		}
		m.done <- nil
	case *assocReq:
		h.assocRequest(c, m)
	}
}

func (h *pollerHandler) assocRequest(c *fastpath.Ctx, r *assocReq) {
	a := r.a
	pe := h.ports[a.ep.port]
	r.err = nil
	switch {
	case pe == nil:
		r.err = ErrClosed
	case r.kind == reqDial:
		as, err := pe.eng.Connect(c.Now, r.peers, r.port)
		if err != nil {
			r.err = err
			break
		}
		a.eng = as
		h.assocs[as] = a
	case a.eng == nil:
		r.err = ErrClosed
	case r.kind == reqSend:
		var fl assoc.SendFlags
		if r.send.Unordered {
			fl |= assoc.SendUnordered
		}
		r.err = a.eng.Send(c.Now, r.send.Stream, r.send.PPID, fl, r.buf)
		if r.err == assoc.ErrWouldBlock {
			a.wantWrite.Store(true)
		}
	case r.kind == reqRecv:
		r.n, r.info, r.ok = a.eng.Recv(r.buf)
		if !r.ok && a.eng.State() == assoc.Closed {
			r.err = io.EOF
		}
	case r.kind == reqShutdown:
		r.err = a.eng.Shutdown(c.Now)
	case r.kind == reqAbort:
		r.err = a.eng.Abort(c.Now, nil)
	case r.kind == reqStats:
		r.stats = a.eng.Stats
	}
	if pe != nil {
		pe.dirty = true
	}
	a.done <- struct{}{}
}

// Flush delivers what the batch produced: events to the API, readiness
// signals, and the packets the engines have to send; then arms the timer.
func (h *pollerHandler) Flush(c *fastpath.Ctx) {
	next := int64(0)
	for _, pe := range h.ports {
		if pe.dirty {
			h.flushPort(c, pe)
		}
		if d := pe.eng.Deadline(); d != 0 && (next == 0 || d < next) {
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
		a := h.assocs[as]
		if a == nil {
			continue
		}
		if as.Readable() > 0 {
			signal(a.readable)
		}
		if a.wantWrite.Load() {
			a.wantWrite.Store(false)
			signal(a.writable)
		}
	}
	for {
		b := c.NewPacket()
		if b == nil {
			break
		}
		pkt, dst, ok := pe.eng.NextPacket(c.Now, b)
		if !ok {
			break
		}
		c.Send(pkt, netip.Addr{}, dst, 0) // an unresolved next hop drops it: the engine retransmits
	}
}

func (h *pollerHandler) event(c *fastpath.Ctx, pe *portEngine, as *assoc.Assoc, ev assoc.Event) {
	a := h.assocs[as]
	switch ev.Type {
	case assoc.EventCommUp, assoc.EventRestart:
		if a == nil { // a passive open
			a = newAssoc(pe.ep, h)
			a.eng = as
			h.assocs[as] = a
			if !pe.ep.offer(a) {
				as.Abort(c.Now, nil) // nobody accepts: RFC 9260 allows refusing
				return
			}
		}
		h.publish(pe, as, h.q)
		a.setUp()
	case assoc.EventCommLost, assoc.EventCantStrAssoc, assoc.EventShutdownComp:
		if a == nil {
			return
		}
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
		a.final = as.Stats
		a.finish(err)
	}
}

// publish routes packets without a usable tag (T bit, ICMP) for the
// association's peer addresses to owner (-1 removes).
func (h *pollerHandler) publish(pe *portEngine, as *assoc.Assoc, owner int) {
	var buf [4]netip.Addr
	for _, peer := range as.PeerAddrs(buf[:0]) {
		h.ir.rt.Group().Shared().Set(fastpath.TupleKey{Peer: peer, LocalPort: pe.ep.port, PeerPort: as.PeerPort()}, owner)
	}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
