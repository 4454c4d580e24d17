package fastpath

import (
	"errors"
	"fmt"
	"runtime"
	"time"

	"net/netip"

	"github.com/sctp-xdp/sctp-xdp/crc32c"
	"github.com/sctp-xdp/sctp-xdp/wire"
)

// PollerConfig configures one poller.
type PollerConfig struct {
	Link     Link     // the queue's frames
	Queue    int      // the queue's number, reported in Packet.Queue
	Handler  Handler  // the engines, or a stub in tests
	Resolver Resolver // next hops for Ctx.Send; nil: Send fails for every destination
	// MAC is the link's own address, for replies to frames sent to a group
	// address (Ctx.Reply).
	MAC [6]byte
	// Batch is how many frames are taken per receive; 64 when zero.
	Batch int
	// SpinPolls is how many empty polls pass before the poller blocks
	// (busy-polling while traffic flows, poll(2) when idle); 64 when zero.
	SpinPolls int
	// Pin binds the poller's thread to CPU (sched_setaffinity).
	Pin bool
	CPU int
	// Clock returns monotonic nanoseconds; read once per batch. Default:
	// time since the poller was made.
	Clock func() int64
	// Tick is the timer wheel's granularity; 1 ms when zero.
	Tick time.Duration
}

// Ctx is what a handler may do during a call: it is the poller's, valid on
// its goroutine only.
type Ctx struct {
	p *Poller
	// Now is the batch's time in monotonic nanoseconds.
	Now int64
}

// Poller returns the poller's index in its group.
func (c *Ctx) Poller() int { return c.p.index }

// Schedule arms t to fire at (not before) at; re-arming moves it.
func (c *Ctx) Schedule(t *Timer, at int64) { c.p.wheel.Schedule(t, at) }

// Cancel disarms t.
func (c *Ctx) Cancel(t *Timer) { c.p.wheel.Cancel(t) }

// Drop counts a packet the handler dropped.
func (c *Ctx) Drop(r DropReason) {
	if r < NumDropReasons {
		c.p.ctr.drops[r].inc()
	}
}

// ToSlowPath hands the packet being handled to the slow path (a copy of the
// frame travels; the handler's view stays valid).
func (c *Ctx) ToSlowPath(p *Packet) { c.p.toSlow(p.raw, p.Queue) }

// Poller runs one queue: receive a batch, validate, route, hand to the
// handler, transmit with one kick, fire timers; block in the link's Wait when
// idle. Only its own goroutine touches it, except Send and Stats.
type Poller struct {
	cfg      PollerConfig
	index    int
	group    *Group
	link     Link
	handler  Handler
	resolver Resolver
	wheel    *Wheel
	waiter   *Waiter
	inbound  *MPSC[inMsg]
	returns  *MPSC[*xferBuf] // our transfer buffers, back from where they went
	xfree    []*xferBuf
	clock    func() int64
	ctx      Ctx

	rx        []Frame
	txBatch   []Frame
	txCur     [1]Frame
	txPending bool
	// txStarved: NewPacket found no free frame in the last Poll, so the
	// handler left packets for a later Flush; the idle wait is cut short
	// (txStarvedWait) for it, since no receive or timer may come to wake it.
	txStarved bool
	parked    parking // packets waiting for their next hop (park.go)
	ipID      uint16
	inBatch   []inMsg
	pkt       Packet
	icmp      ICMP
	ctr       pollerCounters
	fire      func(*Timer)
}

// inMsg is an item of a poller's inbound ring: a frame copied from another
// poller, or a control message.
type inMsg struct {
	buf *xferBuf
	ctl any
}

// xferBuf carries a copy of a frame between goroutines. Each poller owns a
// bounded set; the receiver returns them through the owner's returns ring.
type xferBuf struct {
	owner *Poller
	queue int
	from  int
	n     int
	data  [xferSize]byte
}

// xferPerPoll transfer buffers per poller take 1024 x ~4.1 KiB = 4.1 MiB
// of heap per poller (1 MiB at the former 256, which a burst of 1000 INITs
// handed to the slow path exhausted): enough for a burst of a thousand
// frames to the slow path or other pollers before they answer.
const (
	xferSize     = 4096 // an AF_XDP frame
	xferPerPoll  = 1024
	inboundSlots = 1024
)

// ErrPollerConfig reports an unusable PollerConfig.
var ErrPollerConfig = errors.New("fastpath: invalid poller configuration")

func newPoller(g *Group, index int, cfg PollerConfig) (*Poller, error) {
	if cfg.Link == nil || cfg.Handler == nil {
		return nil, fmt.Errorf("%w: Link and Handler are required", ErrPollerConfig)
	}
	if cfg.Batch == 0 {
		cfg.Batch = 64
	}
	if cfg.SpinPolls == 0 {
		cfg.SpinPolls = 64
	}
	if cfg.Tick == 0 {
		cfg.Tick = time.Millisecond
	}
	if cfg.Batch < 1 || cfg.Batch > 4096 || cfg.SpinPolls < 1 {
		return nil, fmt.Errorf("%w: Batch %d, SpinPolls %d", ErrPollerConfig, cfg.Batch, cfg.SpinPolls)
	}
	p := &Poller{cfg: cfg, index: index, group: g, link: cfg.Link, handler: cfg.Handler,
		resolver: cfg.Resolver, clock: cfg.Clock}
	if p.resolver == nil {
		p.resolver = noResolver{}
	}
	if p.clock == nil {
		start := time.Now()
		p.clock = func() int64 { return int64(time.Since(start)) }
	}
	p.waiter = NewWaiter(p.link.Wake)
	var err error
	if p.inbound, err = NewMPSC[inMsg](inboundSlots, p.waiter); err != nil {
		return nil, err
	}
	if p.returns, err = NewMPSC[*xferBuf](xferPerPoll, nil); err != nil {
		return nil, err
	}
	if p.wheel, err = NewWheel(WheelConfig{Tick: int64(cfg.Tick)}, p.clock()); err != nil {
		return nil, err
	}
	for i := 0; i < xferPerPoll; i++ {
		p.xfree = append(p.xfree, &xferBuf{owner: p})
	}
	p.rx = make([]Frame, cfg.Batch)
	p.txBatch = make([]Frame, 0, cfg.Batch)
	p.inBatch = make([]inMsg, cfg.Batch)
	p.ctx.p = p
	p.fire = func(t *Timer) {
		if t == &p.parked.timer {
			p.retryParked()
			return
		}
		p.handler.HandleTimer(&p.ctx, t)
	}
	return p, nil
}

type noResolver struct{}

var errNoResolver = errors.New("fastpath: no resolver configured")

func (noResolver) Resolve(src, dst netip.Addr) (NextHop, error) { return NextHop{}, errNoResolver }

// Index is the poller's index in its group.
func (p *Poller) Index() int { return p.index }

// Stats returns the poller's counters.
func (p *Poller) Stats() PollerStats { return p.ctr.snapshot() }

// Send delivers a control message to the poller's HandleControl; false when
// its ring is full. Safe from any goroutine.
func (p *Poller) Send(msg any) bool { return p.inbound.Push(inMsg{ctl: msg}) }

// txStarvedWait bounds the idle wait of a poller whose handler ran out of
// TX frames: transmitted frames come back as the link completes them
// (Alloc reclaims them), which wakes nothing. A wait rather than a spin, so
// a link that completes nothing (down) costs a wake-up per millisecond, not
// a core.
const txStarvedWait = time.Millisecond

// txFlusher is a Link that can push out what it still holds to send
// (XSKLink): frames a kick left on the ring are sent by the next kick,
// and after the last Poll there is none.
type txFlusher interface {
	FlushTX(timeout time.Duration) bool
}

// stopFlushTimeout bounds how long a stopping poller waits for its last
// packets (an endpoint's final SHUTDOWN COMPLETE or ABORT) to leave.
const stopFlushTimeout = 200 * time.Millisecond

// flushOnStop sends what the link still holds; what it cannot is counted
// as no_buffer drops.
func (p *Poller) flushOnStop() {
	if f, ok := p.link.(txFlusher); ok && !f.FlushTX(stopFlushTimeout) {
		p.ctr.drops[DropNoBuffer].inc()
	}
}

// run is the poller's goroutine.
func (p *Poller) run(stop <-chan struct{}) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer p.dropParked() // their frames go back to the link
	if p.cfg.Pin {
		if err := pinThread(p.cfg.CPU); err != nil {
			return err
		}
	}
	idle := 0
	for {
		select {
		case <-stop:
			p.flushOnStop()
			return nil
		default:
		}
		if p.Poll() > 0 {
			idle = 0
			continue
		}
		if idle++; idle < p.cfg.SpinPolls {
			continue
		}
		p.waiter.Prepare()
		if !p.inbound.Empty() {
			p.waiter.Cancel()
			continue
		}
		timeout := time.Duration(-1)
		if d, ok := p.wheel.NextDeadline(); ok {
			timeout = max(time.Duration(d-p.clock()), 0)
		}
		if p.txStarved && (timeout < 0 || timeout > txStarvedWait) {
			timeout = txStarvedWait
		}
		if timeout != 0 {
			if err := p.link.Wait(timeout); err != nil {
				// A failing wait must not turn the idle loop into a spin.
				p.ctr.waitErrors.inc()
				time.Sleep(time.Millisecond)
			}
			p.ctr.wakeups.inc()
		}
		p.waiter.Cancel()
		idle = 0
	}
}

// Poll does one round: a receive batch, the inbound ring, expired timers,
// the handler's flush and one transmit. It returns the number of items
// handled. Run calls it in a loop; tests may call it directly.
func (p *Poller) Poll() int {
	p.ctx.Now = p.clock()
	p.txStarved = false
	n := p.link.Receive(p.rx)
	for i := 0; i < n; i++ {
		f := p.rx[i]
		p.ctr.rxFrames.inc()
		p.handleFrame(p.link.Bytes(f)[f.Off:f.Off+f.Len], p.cfg.Queue, p.index, false)
	}
	if n > 0 {
		p.link.Release(p.rx[:n])
	}
	m := p.inbound.PopBatch(p.inBatch)
	for i := 0; i < m; i++ {
		msg := p.inBatch[i]
		p.inBatch[i] = inMsg{}
		if msg.buf != nil {
			x := msg.buf
			p.ctr.fwdIn.inc()
			p.handleFrame(x.data[:x.n], x.queue, x.from, true)
			x.owner.returns.Push(x)
		} else {
			p.handler.HandleControl(&p.ctx, msg.ctl)
		}
	}
	for {
		x, ok := p.returns.Pop()
		if !ok {
			break
		}
		p.xfree = append(p.xfree, x)
	}
	if p.parked.n > 0 && p.ctx.Now >= p.parked.next {
		p.retryParked() // a busy poller need not wait for the wheel's tick
	}
	fired := p.wheel.Advance(p.ctx.Now, p.fire)
	p.handler.Flush(&p.ctx)
	if p.txPending {
		p.dropPending()
	}
	p.flushTX()
	return n + m + fired
}

// handleFrame validates one frame and routes it (design.md section 1).
func (p *Poller) handleFrame(b []byte, queue, from int, forwarded bool) {
	fr := &p.pkt.Frame // parsed in place: a Frame is too big to return cheaply
	if err := fr.Parse(b); err != nil {
		p.ctr.drops[DropMalformed].inc()
		return
	}
	if fr.Fragment {
		p.ctr.drops[DropFragment].inc()
		return
	}
	switch fr.Protocol {
	case wire.IPProtocolSCTP:
		p.handleSCTP(b, fr, queue, from, forwarded)
	case wire.IPProtocolICMP, wire.IPProtocolICMPv6:
		p.handleICMP(b, fr, queue, forwarded)
	default:
		p.ctr.drops[DropMalformed].inc() // the XDP program steers only SCTP and ICMP
	}
}

func (p *Poller) handleSCTP(b []byte, fr *wire.Frame, queue, from int, forwarded bool) {
	if !forwarded && !crc32c.Verify(fr.L4) { // a forwarded frame was checked by its receiver
		p.ctr.drops[DropChecksum].inc()
		return
	}
	s, err := wire.ParseSCTP(fr.L4)
	if err != nil {
		p.ctr.drops[DropMalformed].inc()
		return
	}
	if owner, ok := p.route(s, fr); ok && owner != p.index {
		p.forward(b, queue, owner)
		return
	}
	p.ctr.rxPackets.inc()
	p.pkt.SCTP, p.pkt.Queue, p.pkt.Poller, p.pkt.Forwarded, p.pkt.raw = s, queue, from, forwarded, b
	p.handler.HandlePacket(&p.ctx, &p.pkt)
}

// route finds the poller owning the packet's association: the owner bits of
// our verification tag, or the shared table for packets that carry no tag
// of ours (vtag 0 of an INIT, the T bit). ok is false for "this poller".
func (p *Poller) route(s wire.SCTP, fr *wire.Frame) (owner int, ok bool) {
	g := p.group
	vtag := s.VerificationTag()
	first, _ := s.FirstChunk()
	switch first.Type() {
	case wire.ChunkInit:
		// An INIT of a peer that has an association here (a collision or
		// a restart, RFC 9260 5.2) belongs to that association's engine,
		// wherever RSS put it; any other opens a new one, answered through
		// the slow path for the receiving poller.
		if len(g.pollers) > 1 {
			o, found := g.shared.Lookup(TupleKey{Peer: fr.Source, LocalPort: s.DstPort(), PeerPort: s.SrcPort()})
			return o, found
		}
		return 0, false
	case wire.ChunkAbort, wire.ChunkShutdownComplete:
		if first.Flags()&wire.FlagT != 0 {
			o, found := g.shared.Lookup(TupleKey{Peer: fr.Source, LocalPort: s.DstPort(), PeerPort: s.SrcPort()})
			return o, found
		}
	}
	if len(g.pollers) == 1 {
		return 0, false
	}
	o := OwnerOf(vtag, g.ownerBits)
	if o >= len(g.pollers) {
		return 0, false // not one of our tags: answered here as out of the blue
	}
	return o, true
}

// forward copies the frame to the owner's inbound ring; the frame itself is
// released with the batch at once.
func (p *Poller) forward(b []byte, queue, owner int) {
	if p.copyTo(p.group.pollers[owner].inbound, b, queue) {
		p.ctr.fwdOut.inc()
	}
}

// toSlow copies a frame to the slow path's ring.
func (p *Poller) toSlow(b []byte, queue int) {
	if sp := p.group.slow; sp == nil {
		p.ctr.drops[DropNoBuffer].inc()
	} else if p.copyTo(sp.in, b, queue) {
		p.ctr.toSlow.inc()
	}
}

// copyTo pushes a copy of frame b, in one of this poller's transfer
// buffers, on ring; without a free buffer or ring slot the frame is dropped
// and counted. The receiver returns the buffer through p.returns.
func (p *Poller) copyTo(ring *MPSC[inMsg], b []byte, queue int) bool {
	if len(p.xfree) == 0 || len(b) > xferSize {
		p.ctr.drops[DropNoBuffer].inc()
		return false
	}
	x := p.xfree[len(p.xfree)-1]
	p.xfree = p.xfree[:len(p.xfree)-1]
	x.n = copy(x.data[:], b)
	x.queue, x.from = queue, p.index
	if !ring.Push(inMsg{buf: x}) {
		p.xfree = append(p.xfree, x)
		p.ctr.drops[DropNoBuffer].inc()
		return false
	}
	return true
}

func (p *Poller) handleICMP(b []byte, fr *wire.Frame, queue int, forwarded bool) {
	var e wire.ICMPError
	var err error
	if fr.Protocol == wire.IPProtocolICMP {
		e, err = wire.ParseICMPv4Error(fr.L4)
	} else {
		e, err = wire.ParseICMPv6Error(fr.L4, fr.Source, fr.Destination)
	}
	if err != nil || e.Protocol != wire.IPProtocolSCTP || len(e.Quoted) < 8 {
		p.ctr.drops[DropMalformed].inc()
		return
	}
	// We sent the quoted packet: its destination is the peer, and its tag is
	// the peer's, so the shared table routes it.
	src, dst := e.QuotedPorts()
	owner, ok := p.group.shared.Lookup(TupleKey{Peer: e.Destination, LocalPort: src, PeerPort: dst})
	if ok && owner != p.index && !forwarded {
		p.forward(b, queue, owner)
		return
	}
	p.icmp = ICMP{Frame: *fr, Err: e, Queue: queue}
	p.handler.HandleICMP(&p.ctx, &p.icmp)
}
