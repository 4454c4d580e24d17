package fastpath

import (
	"errors"
	"net/netip"
	"time"

	"github.com/sctp-xdp/sctp-xdp/wire"
	"github.com/sctp-xdp/sctp-xdp/xdp"
)

// Parking: a packet whose next hop's link-layer address is still being
// resolved waits in its TX frame instead of being dropped, as the kernel
// queues packets on an unresolved neighbour (arp_queue, unres_qlen_bytes).
// Without it the first packet to a fresh peer (an INIT) is lost and the
// association waits a whole RTO (RFC 9260 6.3.1: 1 s) before it retries.
//
// The parking area is the poller's own: a fixed array in arrival order, so
// it needs no lock and allocates nothing. A packet to a destination that has
// packets parked queues behind them, so that packets to one destination
// leave in the order they were sent. Resolution is retried when a batch
// finds the retry time passed and on a wheel timer (the poller's idle wait
// ends at the timer), first after parkFirstRetry, backing off to
// parkMaxRetry; a packet still unresolved parkGiveUp after it was parked is
// dropped and counted in TxUnresolved, as is one pushed out of a full area.

// ErrNeighbourPending, wrapped or not, is what a Resolver returns while the
// next hop's link-layer address is being resolved: Send parks the packet
// instead of dropping it. Any other error drops the packet.
var ErrNeighbourPending = xdp.ErrNeighbourPending

const (
	parkSlots      = 64 // parked packets per poller (64 TX frames)
	parkPerDest    = 8  // parked packets per destination
	parkFirstRetry = int64(time.Millisecond)
	parkMaxRetry   = int64(8 * time.Millisecond)
	parkGiveUp     = int64(time.Second)
)

// parkedPkt is a framed-to-be SCTP packet: its bytes are at Headroom in f,
// n long, and the arguments of the Send or SendFrom that parked it.
type parkedPkt struct {
	f      Frame
	n      int
	src    netip.Addr   // Send's source; invalid: the route's (and for SendFrom)
	srcs   []netip.Addr // SendFrom's candidates, kept by reference
	from   bool         // parked by SendFrom
	ecn    uint8
	dst    netip.Addr
	giveUp int64 // when it is dropped if still unresolved
}

// parking is a poller's parking area; q[:n] in arrival order.
type parking struct {
	q       [parkSlots]parkedPkt
	n       int
	timer   Timer
	backoff int64 // the current retry interval
	next    int64 // when the next retry is due
	one     [1]Frame
}

// freeFrame gives one parked frame back to the link.
func (p *Poller) freeFrame(f Frame) {
	p.parked.one[0] = f
	p.link.Free(p.parked.one[:])
}

// isPending reports whether a Resolve error means "not resolved yet".
func isPending(err error) bool { return errors.Is(err, ErrNeighbourPending) }

// holds reports whether a packet to dst waits in the area.
func (k *parking) holds(dst netip.Addr) bool {
	for i := 0; i < k.n; i++ {
		if k.q[i].dst == dst {
			return true
		}
	}
	return false
}

// park takes the pending TX frame, with the packet's n bytes at Headroom,
// into the parking area.
func (p *Poller) park(n int, src netip.Addr, srcs []netip.Addr, from bool, dst netip.Addr, ecn uint8) {
	k := &p.parked
	f := p.txCur[0]
	p.txPending = false
	now := p.ctx.Now
	count, oldest := 0, -1
	for i := 0; i < k.n; i++ {
		if k.q[i].dst == dst {
			if count == 0 {
				oldest = i
			}
			count++
		}
	}
	switch {
	case count >= parkPerDest:
		p.unpark(oldest)
	case k.n == parkSlots:
		p.unpark(0)
	}
	k.q[k.n] = parkedPkt{f: f, n: n, src: src, srcs: srcs, from: from, ecn: ecn, dst: dst, giveUp: now + parkGiveUp}
	k.n++
	p.ctr.txParked.inc()
	if count == 0 {
		// A new destination: its resolution may be quick, retry soon.
		k.backoff = parkFirstRetry
		if at := now + parkFirstRetry; k.n == 1 || at < k.next {
			k.next = at
		}
		p.wheel.Schedule(&k.timer, k.next)
	}
}

// unpark drops parked packet i to make room, counted as unresolved.
func (p *Poller) unpark(i int) {
	k := &p.parked
	p.freeFrame(k.q[i].f)
	p.ctr.txUnresolved.inc()
	p.ctr.txParkOverflow.inc()
	copy(k.q[i:k.n], k.q[i+1:k.n])
	k.n--
	k.q[k.n] = parkedPkt{}
}

// resolution is a retry pass's answer for one (source, destination).
type resolution struct {
	src, dst netip.Addr
	hop      NextHop
	err      error
}

// retryParked resolves the parked packets' next hops once per destination:
// the resolved ones are framed and join the batch in order, the expired and
// the unroutable are dropped, the rest wait for the next retry.
func (p *Poller) retryParked() {
	k := &p.parked
	now := p.ctx.Now
	var memo [parkSlots]resolution
	nm := 0
	kept := 0
	for i := 0; i < k.n; i++ {
		e := k.q[i]
		r := -1
		for j := 0; j < nm; j++ {
			if memo[j].dst == e.dst && memo[j].src == e.src {
				r = j
				break
			}
		}
		if r < 0 {
			hop, err := p.resolver.Resolve(e.src, e.dst)
			memo[nm] = resolution{src: e.src, dst: e.dst, hop: hop, err: err}
			r = nm
			nm++
		}
		switch res := &memo[r]; {
		case res.err == nil:
			p.sendParked(&e, &res.hop)
		case isPending(res.err) && now < e.giveUp:
			k.q[kept] = e
			kept++
		default:
			p.freeFrame(e.f)
			p.ctr.txUnresolved.inc()
		}
	}
	for i := kept; i < k.n; i++ {
		k.q[i] = parkedPkt{} // drop the references to srcs
	}
	k.n = kept
	if k.n == 0 {
		p.wheel.Cancel(&k.timer)
		return
	}
	k.backoff = min(2*k.backoff, parkMaxRetry)
	k.next = min(now+k.backoff, k.q[0].giveUp) // q[0] gives up first
	p.wheel.Schedule(&k.timer, k.next)
}

// sendParked frames a parked packet with its now known next hop.
func (p *Poller) sendParked(e *parkedPkt, hop *NextHop) {
	src := e.src
	if e.from {
		src = pickSource(hop.Src, e.srcs)
	} else if !src.IsValid() {
		src = hop.Src
	}
	eth := wire.EthernetHeader{Destination: hop.DstMAC, Source: hop.SrcMAC}
	p.frameAt(e.f, e.n, &eth, src, e.dst, e.ecn)
}

// dropParked gives every parked frame back, counted as unresolved (the
// poller stops).
func (p *Poller) dropParked() {
	k := &p.parked
	for i := 0; i < k.n; i++ {
		p.freeFrame(k.q[i].f)
		k.q[i] = parkedPkt{}
	}
	p.ctr.txUnresolved.add(uint64(k.n))
	k.n = 0
	p.wheel.Cancel(&k.timer)
}
