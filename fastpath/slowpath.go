package fastpath

import "github.com/sctp-xdp/sctp-xdp/wire"

// SlowHandler does the slow path's work (design.md section 3): packets that
// match no association (INIT, COOKIE ECHO) and endpoint-wide requests. It
// runs on the slow path's goroutine.
type SlowHandler interface {
	// HandleSlow is called with a packet a poller handed over. Create the
	// association, then HandOver it to its poller; the first reply leaves
	// from there.
	HandleSlow(s *SlowPath, p *Packet)
	// HandleRequest runs a request sent with SlowPath.Request.
	HandleRequest(s *SlowPath, req any)
}

// SlowPath is the goroutine for what matches no association and for
// endpoint-wide work, fed by an MPSC ring from the pollers and the API.
type SlowPath struct {
	g       *Group
	h       SlowHandler
	in      *MPSC[inMsg]
	waiter  *Waiter
	batch   []inMsg
	pkt     Packet
	handled counter
}

const slowSlots = 4096

func newSlowPath(g *Group, h SlowHandler) (*SlowPath, error) {
	s := &SlowPath{g: g, h: h, waiter: NewWaiter(nil), batch: make([]inMsg, 64)}
	var err error
	if s.in, err = NewMPSC[inMsg](slowSlots, s.waiter); err != nil {
		return nil, err
	}
	return s, nil
}

// Request queues a request for HandleRequest; false when the ring is full.
// Safe from any goroutine.
func (s *SlowPath) Request(req any) bool { return s.in.Push(inMsg{ctl: req}) }

// HandOver sends msg to a poller's HandleControl: typically a new
// association with the reply it must send first. Publish the association in
// the shared table (Group.Shared) before, so packets without a usable tag
// find it. False when the poller's ring is full.
func (s *SlowPath) HandOver(poller int, msg any) bool {
	if poller < 0 || poller >= len(s.g.pollers) {
		return false
	}
	return s.g.pollers[poller].Send(msg)
}

// Group is the slow path's group.
func (s *SlowPath) Group() *Group { return s.g }

// Handled counts the packets and requests handled.
func (s *SlowPath) Handled() uint64 { return s.handled.Load() }

func (s *SlowPath) run(stop <-chan struct{}) {
	for {
		if s.drain() > 0 {
			continue
		}
		s.waiter.Prepare()
		if !s.in.Empty() {
			s.waiter.Cancel()
			continue
		}
		if !s.waiter.Block(stop) {
			return
		}
	}
}

// drain handles one batch of the inbound ring and returns its size.
func (s *SlowPath) drain() int {
	n := s.in.PopBatch(s.batch)
	for i := 0; i < n; i++ {
		msg := s.batch[i]
		s.batch[i] = inMsg{}
		s.handled.inc()
		if msg.buf == nil {
			s.h.HandleRequest(s, msg.ctl)
			continue
		}
		x := msg.buf
		s.handlePacket(x)
		x.owner.returns.Push(x)
	}
	return n
}

// handlePacket re-parses the copied frame (its receiver validated it) and
// calls the handler.
func (s *SlowPath) handlePacket(x *xferBuf) {
	b := x.data[:x.n]
	fr, err := wire.ParseFrame(b)
	if err != nil {
		return
	}
	sc, err := wire.ParseSCTP(fr.L4)
	if err != nil {
		return
	}
	s.pkt = Packet{Frame: fr, SCTP: sc, Queue: x.queue, Poller: x.from, raw: b}
	s.h.HandleSlow(s, &s.pkt)
}
