package sim

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/sctp-xdp/sctp-xdp/assoc"
)

// Impairment is what a direction of a path does to packets.
type Impairment struct {
	Loss      float64       // probability a packet is lost
	Duplicate float64       // probability a packet is delivered twice
	Reorder   float64       // probability a packet is held back past later ones
	Delay     time.Duration // one-way delay
	Jitter    time.Duration // uniform extra delay in [0, Jitter)
	Bandwidth int64         // bytes per second; 0 means unlimited
	// MTU, if set, silently drops packets larger than this (IPv4 header
	// of 20 bytes counted): a PMTU black hole, no ICMP.
	MTU int
}

// link is one direction between two addresses.
type link struct {
	imp       Impairment
	blackhole bool
	busyUntil int64
	dataSent  int // packets with DATA handed to the link
}

// Host is one simulated endpoint.
type Host struct {
	Name   string
	Addrs  []netip.Addr
	EP     *assoc.Endpoint
	Events []HostEvent
	cfg    assoc.Config
	net    *Net
	// App, if set, runs for each of the host's associations before the
	// host's output is collected: the application (Send, Recv).
	App func(a *assoc.Assoc)
}

// HostEvent is a notification a host received, with its time.
type HostEvent struct {
	At    int64
	Assoc *assoc.Assoc
	assoc.Event
}

// Net is the simulated network and its virtual clock.
type Net struct {
	now      int64
	seq      uint64
	rng      *rand.Rand
	q        queue
	hosts    []*Host
	byAddr   map[netip.Addr]*Host
	links    map[[2]netip.Addr]*link
	Default  Impairment
	trace    []string
	buf      []byte
	Sent     int // packets handed to the network
	Lost     int // packets lost (loss or black hole)
	LostData int // lost packets that carried DATA
	// TraceLines bounds the trace kept (the latest lines); 0 means 20000.
	TraceLines int
}

// New returns an empty network whose randomness comes from seed.
func New(seed uint64) *Net {
	return &Net{
		rng:     rand.New(rand.NewPCG(seed, 0x5C7F_0000_0000_0001)),
		byAddr:  map[netip.Addr]*Host{},
		links:   map[[2]netip.Addr]*link{},
		Default: Impairment{Delay: 10 * time.Millisecond},
	}
}

// Now is the virtual time in ns.
func (n *Net) Now() int64 { return n.now }

// AddHost adds a host with cfg (its Rand, if nil, is drawn from the
// network's seed) at addrs.
func (n *Net) AddHost(name string, cfg assoc.Config, addrs ...netip.Addr) (*Host, error) {
	if len(addrs) == 0 {
		return nil, fmt.Errorf("sim: host %s without address", name)
	}
	for _, a := range addrs {
		if n.byAddr[a] != nil {
			return nil, fmt.Errorf("sim: address %v taken", a)
		}
	}
	h := &Host{Name: name, Addrs: addrs, cfg: cfg, net: n}
	if err := h.boot(); err != nil {
		return nil, err
	}
	for _, a := range addrs {
		n.byAddr[a] = h
	}
	n.hosts = append(n.hosts, h)
	return h, nil
}

func (h *Host) boot() error {
	cfg := h.cfg
	if cfg.Rand == nil {
		cfg.Rand = rand.New(rand.NewPCG(h.net.rng.Uint64(), h.net.rng.Uint64()))
	}
	if cfg.LocalAddrs == nil {
		cfg.LocalAddrs = h.Addrs
	}
	var key [32]byte
	for i := range key {
		key[i] = byte(h.net.rng.Uint32())
	}
	ep, err := assoc.NewEndpoint(cfg, assoc.CookieKeys{Cur: assoc.CookieKey{Key: key[:]}}, h.net.now)
	if err != nil {
		return err
	}
	h.EP = ep
	return nil
}

// Restart replaces the host's endpoint with a fresh one: every association
// and the cookie key are forgotten, as after a crash (RFC 9260 5.2.4 A).
func (h *Host) Restart() error { return h.boot() }

// Connect opens an association from h to the host at peer:port.
func (h *Host) Connect(port uint16, peer ...netip.Addr) (*assoc.Assoc, error) {
	return h.EP.Connect(h.net.now, peer, port)
}

// Assoc is the host's only association, or nil.
func (h *Host) Assoc() *assoc.Assoc {
	if as := h.EP.Assocs(); len(as) == 1 {
		return as[0]
	}
	return nil
}

// Has reports whether the host received an event of type t.
func (h *Host) Has(t assoc.EventType) bool { return h.Count(t) > 0 }

// Count counts the host's events of type t.
func (h *Host) Count(t assoc.EventType) int {
	c := 0
	for _, e := range h.Events {
		if e.Type == t {
			c++
		}
	}
	return c
}

func (n *Net) link(src, dst netip.Addr) *link {
	k := [2]netip.Addr{src, dst}
	l := n.links[k]
	if l == nil {
		l = &link{imp: n.Default}
		n.links[k] = l
	}
	return l
}

// SetImpairment sets the impairment of the direction src → dst.
func (n *Net) SetImpairment(src, dst netip.Addr, imp Impairment) { n.link(src, dst).imp = imp }

// SetBothImpairment sets both directions between a and b.
func (n *Net) SetBothImpairment(a, b netip.Addr, imp Impairment) {
	n.SetImpairment(a, b, imp)
	n.SetImpairment(b, a, imp)
}

// Blackhole switches the direction src → dst into a black hole (on) or
// back, at virtual time at.
func (n *Net) Blackhole(at int64, src, dst netip.Addr, on bool) {
	if at <= n.now {
		n.link(src, dst).blackhole = on
		return
	}
	n.At(at, func() { n.link(src, dst).blackhole = on })
}

// DataPackets counts the packets with DATA sent from src to dst (lost or
// not): which path the engines use.
func (n *Net) DataPackets(src, dst netip.Addr) int { return n.link(src, dst).dataSent }

// At runs fn at virtual time at (user calls, topology changes).
func (n *Net) At(at int64, fn func()) {
	n.seq++
	n.q.push(&item{at: max(at, n.now), seq: n.seq, fn: fn})
}

// send impairs one packet and schedules its arrival.
func (n *Net) send(src, dst netip.Addr, pkt []byte) {
	n.Sent++
	l := n.link(src, dst)
	lost := l.blackhole || n.rng.Float64() < l.imp.Loss || (l.imp.MTU > 0 && len(pkt)+20 > l.imp.MTU)
	if hasData(pkt) {
		l.dataSent++
	}
	if lost && hasData(pkt) {
		n.LostData++
	}
	if l.blackhole {
		n.Lost++
		n.tracef(src, dst, "blackhole", pkt)
		return
	}
	if lost {
		n.Lost++
		n.tracef(src, dst, "lost", pkt)
		return
	}
	copies := 1
	if n.rng.Float64() < l.imp.Duplicate {
		copies = 2
	}
	start := n.now
	if l.imp.Bandwidth > 0 {
		start = max(n.now, l.busyUntil)
		l.busyUntil = start + int64(len(pkt)+28)*1e9/l.imp.Bandwidth
		start = l.busyUntil
	}
	for i := 0; i < copies; i++ {
		at := start + int64(l.imp.Delay)
		if l.imp.Jitter > 0 {
			at += n.rng.Int64N(int64(l.imp.Jitter))
		}
		what := "sent"
		if n.rng.Float64() < l.imp.Reorder {
			at += int64(l.imp.Delay) + n.rng.Int64N(int64(l.imp.Delay)+int64(time.Millisecond))
			what = "reordered"
		}
		if i == 1 {
			what = "duplicate"
		}
		n.tracef(src, dst, what, pkt)
		n.seq++
		n.q.push(&item{at: at, seq: n.seq, pkt: append([]byte(nil), pkt...), src: src, dst: dst})
	}
}

// srcFor picks the source address towards dst: the host's address in the
// same position as dst in its host's list (the i-th addresses of all hosts
// share network i, the usual multi-homed topology), else the first of
// dst's family.
func (h *Host) srcFor(dst netip.Addr) netip.Addr {
	if peer := h.net.byAddr[dst]; peer != nil {
		for i, a := range peer.Addrs {
			if a == dst && i < len(h.Addrs) && h.Addrs[i].Is4() == dst.Is4() {
				return h.Addrs[i]
			}
		}
	}
	for _, a := range h.Addrs {
		if a.Is4() == dst.Is4() {
			return a
		}
	}
	return h.Addrs[0]
}

// drain moves every host's output into the network and its events into
// Host.Events.
func (n *Net) drain() {
	for _, h := range n.hosts {
		if h.App != nil {
			for _, a := range h.EP.Assocs() {
				h.App(a)
			}
		}
		for {
			pkt, dst, ok := h.EP.NextPacket(n.now, n.buf[:0])
			if !ok {
				break
			}
			n.buf = pkt
			n.send(h.srcFor(dst), dst, pkt)
		}
		for {
			a, ev, ok := h.EP.NextEvent()
			if !ok {
				break
			}
			h.Events = append(h.Events, HostEvent{At: n.now, Assoc: a, Event: ev})
		}
	}
}

// Run advances the clock to until, processing deliveries, actions and
// timers in time order.
func (n *Net) Run(until int64) {
	n.RunUntil(until, nil)
}

// RunUntil runs until done reports true (checked after each step) or the
// clock would pass until; it reports whether done became true.
func (n *Net) RunUntil(until int64, done func() bool) bool {
	for {
		n.drain()
		if done != nil && done() {
			return true
		}
		next := int64(-1)
		if it := n.q.peek(); it != nil {
			next = it.at
		}
		for _, h := range n.hosts {
			if d := h.EP.Deadline(); d != 0 && (next < 0 || d < next) {
				next = d
			}
		}
		if next < 0 || next > until {
			n.now = max(n.now, until)
			return false
		}
		n.now = max(n.now, next)
		if it := n.q.peek(); it != nil && it.at <= n.now {
			n.q.pop()
			n.deliver(it)
			continue
		}
		for _, h := range n.hosts {
			if d := h.EP.Deadline(); d != 0 && d <= n.now {
				h.EP.HandleTimeout(n.now)
			}
		}
	}
}

func (n *Net) deliver(it *item) {
	if it.fn != nil {
		it.fn()
		return
	}
	h := n.byAddr[it.dst]
	if h == nil {
		n.tracef(it.src, it.dst, "no-host", it.pkt)
		return
	}
	n.tracef(it.src, it.dst, "recv", it.pkt)
	h.EP.Receive(n.now, assoc.PacketInfo{Src: it.src, Dst: it.dst, Size: len(it.pkt) + 20}, it.pkt)
}
