package fastpath

import (
	"errors"
	"fmt"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sctp-xdp/sctp-xdp/internal/testbed"
	"github.com/sctp-xdp/sctp-xdp/wire"
)

var (
	errFakePending = fmt.Errorf("fake: next hop: %w", ErrNeighbourPending)
	errFakeNoRoute = errors.New("fake: no route")
	macC           = [6]byte{2, 0, 0, 0, 0, 0xc}
	ipC            = netip.MustParseAddr("198.18.0.3")
)

// flakyResolver answers pending[dst] times ErrNeighbourPending (forever when
// negative), then the next hop; fail[dst] is returned instead when set.
type flakyResolver struct {
	pending map[netip.Addr]int
	fail    map[netip.Addr]error
	calls   map[netip.Addr]int
}

func newFlaky() *flakyResolver {
	return &flakyResolver{pending: map[netip.Addr]int{}, fail: map[netip.Addr]error{}, calls: map[netip.Addr]int{}}
}

func (r *flakyResolver) Resolve(src, dst netip.Addr) (NextHop, error) {
	r.calls[dst]++
	if err := r.fail[dst]; err != nil {
		return NextHop{}, err
	}
	if n := r.pending[dst]; n != 0 {
		if n > 0 {
			r.pending[dst] = n - 1
		}
		return NextHop{}, errFakePending
	}
	mac := macB
	if dst == ipC {
		mac = macC
	}
	src4 := ipA
	if dst.Is6() {
		src4 = ip6A
	}
	return NextHop{SrcMAC: macA, DstMAC: mac, Src: src4}, nil
}

// parkBed is one poller on a MemLink with a fake clock and resolver.
type parkBed struct {
	t      testing.TB
	now    int64
	p      *Poller
	link   *MemLink
	peer   *MemLink
	res    *flakyResolver
	frames int
}

const parkBedFrames = 256

func newParkBed(t testing.TB) *parkBed {
	b := &parkBed{t: t, res: newFlaky(), frames: parkBedFrames}
	a, peer, err := NewMemLinkPair(parkBedFrames, 2048)
	if err != nil {
		t.Fatal(err)
	}
	b.link, b.peer = a, peer
	g, err := NewGroup(GroupConfig{Pollers: []PollerConfig{{Link: a, Handler: &nopHandler{}, Resolver: b.res,
		Clock: func() int64 { return b.now }}}})
	if err != nil {
		t.Fatal(err)
	}
	b.p = g.Pollers()[0]
	return b
}

// send builds an SCTP packet with verification tag vtag and sends it to
// dst as a handler would, during a batch at the bed's time.
func (b *parkBed) send(dst netip.Addr, vtag uint32) error {
	c := &b.p.ctx
	c.Now = b.now
	buf := c.NewPacket()
	if buf == nil {
		b.t.Fatal("no TX frame")
	}
	var w wire.Builder
	w.Start(buf, 5000, 5001, vtag)
	w.Chunk(wire.ChunkCookieAck, 0, nil)
	pkt, err := w.Finish()
	if err != nil {
		b.t.Fatal(err)
	}
	return c.SendFrom(pkt, nil, dst, 0)
}

// poll runs a batch at time at (ns since start).
func (b *parkBed) poll(at time.Duration) {
	b.now = int64(at)
	b.p.Poll()
}

type sent struct {
	dst  netip.Addr
	mac  [6]byte
	vtag uint32
}

// received takes the frames at the peer, checking their headers.
func (b *parkBed) received() []sent {
	var out []sent
	for _, f := range recvAll(b.peer) {
		fr, err := wire.ParseFrame(f)
		if err != nil {
			b.t.Fatalf("malformed frame: %v", err)
		}
		s, err := wire.ParseSCTP(fr.L4)
		if err != nil {
			b.t.Fatalf("malformed SCTP: %v", err)
		}
		if fr.Eth.Source != macA {
			b.t.Errorf("frame from MAC %x", fr.Eth.Source)
		}
		out = append(out, sent{fr.Destination, fr.Eth.Destination, s.VerificationTag()})
	}
	return out
}

// framesHome checks that every TX frame is the link's again.
func (b *parkBed) framesHome() {
	b.t.Helper()
	if n := len(b.link.txFree); n != b.frames {
		b.t.Errorf("%d of %d TX frames back at the link", n, b.frames)
	}
}

func vtags(s []sent) []uint32 {
	var v []uint32
	for _, x := range s {
		v = append(v, x.vtag)
	}
	return v
}

// TestParkUntilResolved: a packet to an unresolved destination waits, later
// packets to it queue behind it (without asking the resolver each time),
// packets to other destinations pass, and once resolved they leave in
// order with the MACs of the resolution.
func TestParkUntilResolved(t *testing.T) {
	b := newParkBed(t)
	b.res.pending[ipB] = 3
	b.poll(0)
	for i, dst := range []netip.Addr{ipB, ipB, ipC, ipB} {
		if err := b.send(dst, uint32(i+1)); err != nil {
			t.Fatalf("send %d: %v", i+1, err)
		}
	}
	b.poll(0)
	if got := b.received(); len(got) != 1 || got[0].vtag != 3 || got[0].mac != macC || got[0].dst != ipC {
		t.Fatalf("first batch sent %+v, want only packet 3 to %v", got, ipC)
	}
	if c := b.res.calls[ipB]; c != 1 {
		t.Errorf("resolver asked %d times for a parked destination, want once", c)
	}
	if d, ok := b.p.wheel.NextDeadline(); !ok || d > int64(2*time.Millisecond) {
		t.Errorf("retry timer at %d, %v; want within 2 ms", d, ok)
	}
	// Two retries still pending, the third resolves.
	var got []sent
	for at := time.Millisecond; at <= 20*time.Millisecond && len(got) == 0; at += time.Millisecond {
		b.poll(at)
		got = b.received()
		if at == 2*time.Millisecond {
			b.send(ipB, 5) // parked while still pending: behind 1, 2 and 4
		}
	}
	if want := []uint32{1, 2, 4, 5}; fmt.Sprint(vtags(got)) != fmt.Sprint(want) {
		t.Fatalf("after resolution sent %v, want %v", vtags(got), want)
	}
	for _, s := range got {
		if s.dst != ipB || s.mac != macB {
			t.Errorf("packet %d to %v at %x", s.vtag, s.dst, s.mac)
		}
	}
	if c := b.res.calls[ipB]; c != 4 {
		t.Errorf("resolver asked %d times, want 4 (1 + one per retry)", c)
	}
	// Resolved: the next packet leaves at once; the timer is gone.
	b.send(ipB, 6)
	b.poll(30 * time.Millisecond)
	if got := b.received(); len(got) != 1 || got[0].vtag != 6 {
		t.Errorf("after resolution: %+v", got)
	}
	if _, ok := b.p.wheel.NextDeadline(); ok {
		t.Error("retry timer armed with nothing parked")
	}
	st := b.p.Stats()
	if st.TxParked != 4 || st.TxUnresolved != 0 || st.TxPackets != 6 || st.TxParkOverflow != 0 {
		t.Errorf("stats %+v", st)
	}
	b.framesHome()
}

// TestParkGiveUp: still unresolved after parkGiveUp, packets are dropped,
// counted, and their frames given back; the retries back off meanwhile.
func TestParkGiveUp(t *testing.T) {
	b := newParkBed(t)
	b.res.pending[ipB] = -1
	b.poll(0)
	b.send(ipB, 1)
	b.send(ipB, 2)
	for at := time.Duration(0); at < time.Second; at += 100 * time.Microsecond {
		b.poll(at)
	}
	if b.p.parked.n != 2 || len(b.received()) != 0 {
		t.Fatalf("before the give-up time: %d parked", b.p.parked.n)
	}
	// 1 ms doubling to 8 ms over 1 s: about 4 + 1000/8 retries, not 1000.
	if c := b.res.calls[ipB]; c < 100 || c > 160 {
		t.Errorf("%d resolutions in 1 s, want the backed-off ~128", c)
	}
	if d, ok := b.p.wheel.NextDeadline(); !ok || d > int64(time.Second+time.Millisecond) {
		t.Errorf("timer at %d, %v: want by the give-up time", d, ok)
	}
	b.poll(time.Second + time.Millisecond)
	if b.p.parked.n != 0 || len(b.received()) != 0 {
		t.Fatalf("after the give-up time: %d parked", b.p.parked.n)
	}
	if st := b.p.Stats(); st.TxUnresolved != 2 || st.TxParked != 2 || st.TxPackets != 0 {
		t.Errorf("stats %+v", st)
	}
	if _, ok := b.p.wheel.NextDeadline(); ok {
		t.Error("retry timer armed with nothing parked")
	}
	b.framesHome()
}

// TestParkBounds: a destination keeps at most parkPerDest packets and the
// poller parkSlots; the oldest go first, counted.
func TestParkBounds(t *testing.T) {
	b := newParkBed(t)
	b.res.pending[ipB] = -1
	b.poll(0)
	for i := 1; i <= parkPerDest+2; i++ {
		b.send(ipB, uint32(i))
	}
	if st := b.p.Stats(); b.p.parked.n != parkPerDest || st.TxParkOverflow != 2 || st.TxUnresolved != 2 {
		t.Fatalf("%d parked, stats %+v", b.p.parked.n, st)
	}
	// Fill the area with other destinations: the oldest (ipB's) go first.
	var others []netip.Addr
	for i := 0; i < parkSlots; i++ {
		a := netip.AddrFrom4([4]byte{198, 18, 1, byte(i)})
		b.res.pending[a] = -1
		others = append(others, a)
		b.send(a, uint32(100+i))
	}
	if st := b.p.Stats(); b.p.parked.n != parkSlots || st.TxParkOverflow != 2+parkPerDest || b.p.parked.holds(ipB) {
		t.Fatalf("%d parked, ipB parked %v, stats %+v", b.p.parked.n, b.p.parked.holds(ipB), st)
	}
	// All resolve: the survivors leave in the order they were sent.
	b.res.pending = map[netip.Addr]int{}
	b.poll(2 * time.Millisecond)
	got := b.received()
	if len(got) != parkSlots {
		t.Fatalf("%d sent, want %d", len(got), parkSlots)
	}
	for i, s := range got {
		if s.vtag != uint32(100+i) || s.dst != others[i] {
			t.Fatalf("packet %d: %+v", i, s)
		}
	}
	if st := b.p.Stats(); st.TxPackets != parkSlots || st.TxUnresolved != 2+parkPerDest {
		t.Errorf("stats %+v", st)
	}
	b.framesHome()
}

// TestParkNoRoute: a resolver error other than "pending" drops at once, and
// drops parked packets whose destination turns unroutable.
func TestParkNoRoute(t *testing.T) {
	b := newParkBed(t)
	b.res.fail[ipC] = errFakeNoRoute
	b.poll(0)
	if err := b.send(ipC, 1); !errors.Is(err, errFakeNoRoute) {
		t.Errorf("send without a route: %v", err)
	}
	b.res.pending[ipB] = -1
	b.send(ipB, 2)
	b.res.fail[ipB] = errFakeNoRoute
	b.poll(5 * time.Millisecond)
	if b.p.parked.n != 0 || len(b.received()) != 0 {
		t.Errorf("%d parked", b.p.parked.n)
	}
	if st := b.p.Stats(); st.TxUnresolved != 2 || st.TxParked != 1 {
		t.Errorf("stats %+v", st)
	}
	if err := b.send(netip.MustParseAddr("::ffff:198.18.0.2"), 3); !errors.Is(err, ErrAddrFamilies) {
		t.Errorf("mapped destination: %v", err)
	}
	b.framesHome()
}

// TestParkAllocs: parking, retrying and sending a parked packet allocate
// nothing.
func TestParkAllocs(t *testing.T) {
	b := newParkBed(t)
	b.res.pending[ipB] = 0
	at := time.Duration(0)
	allocs := testing.AllocsPerRun(200, func() {
		b.res.pending[ipB] = 2
		b.send(ipB, 1)
		b.send(ipB, 2)
		b.send(ipC, 3)
		for b.p.parked.n > 0 {
			at += time.Millisecond
			b.poll(at)
		}
		for n := b.peer.Receive(b.p.rx); n > 0; n = b.peer.Receive(b.p.rx) {
			b.peer.Release(b.p.rx[:n])
		}
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per park and release", allocs)
	}
	if st := b.p.Stats(); st.TxUnresolved != 0 || st.TxPackets != 3*st.TxParked/2 {
		t.Errorf("stats %+v", st)
	}
	b.framesHome()
}

// gateResolver answers pending while held, from any goroutine.
type gateResolver struct {
	held  atomic.Bool
	calls atomic.Int64
}

func (r *gateResolver) Resolve(src, dst netip.Addr) (NextHop, error) {
	r.calls.Add(1)
	if r.held.Load() {
		return NextHop{}, errFakePending
	}
	return NextHop{SrcMAC: macA, DstMAC: macB, Src: ipA}, nil
}

// ctlSend is a handler that sends a packet to the address it is sent.
type ctlSend struct{ nopHandler }

func (h *ctlSend) HandleControl(c *Ctx, msg any) {
	dst := msg.(netip.Addr)
	b := c.NewPacket()
	var w wire.Builder
	w.Start(b, 5000, 5001, 7)
	w.Chunk(wire.ChunkCookieAck, 0, nil)
	b, _ = w.Finish()
	c.Send(b, netip.Addr{}, dst, 0)
}

// waitFor polls cond for up to 5 s.
func waitFor(cond func() bool) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// TestParkedPollerWakes: a running poller with a parked packet and no
// traffic wakes from its idle wait to retry, and sends the packet soon
// after the resolution; stopped with packets parked, it gives their frames
// back.
func TestParkedPollerWakes(t *testing.T) {
	a, peer, err := NewMemLinkPair(64, 2048)
	if err != nil {
		t.Fatal(err)
	}
	res := &gateResolver{}
	res.held.Store(true)
	g, err := NewGroup(GroupConfig{Pollers: []PollerConfig{{Link: a, Handler: &ctlSend{}, Resolver: res, SpinPolls: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(); err != nil {
		t.Fatal(err)
	}
	p := g.Pollers()[0]
	p.Send(ipB)
	if !waitFor(func() bool { return p.Stats().TxParked == 1 }) {
		t.Fatalf("not parked: %+v", p.Stats())
	}
	time.Sleep(50 * time.Millisecond) // the retries back off to their longest interval
	if got := recvAll(peer); len(got) != 0 {
		t.Fatalf("%d frames sent while unresolved", len(got))
	}
	released := time.Now()
	res.held.Store(false)
	var got [][]byte
	if !waitFor(func() bool { got = append(got, recvAll(peer)...); return len(got) > 0 }) || len(got) != 1 {
		t.Fatalf("%d frames sent after the resolution; stats %+v", len(got), p.Stats())
	}
	t.Logf("parked packet sent %v after the resolution, %d resolutions", time.Since(released), res.calls.Load())
	// Parked at the stop: frames go back.
	res.held.Store(true)
	p.Send(ipB)
	if !waitFor(func() bool { return p.Stats().TxParked == 2 }) {
		t.Fatalf("not parked: %+v", p.Stats())
	}
	if err := g.Stop(); err != nil {
		t.Fatal(err)
	}
	st := p.Stats()
	if st.TxParked != 2 || st.TxPackets != 1 || st.TxUnresolved != 1 {
		t.Errorf("stats %+v", st)
	}
	if n := len(a.txFree); n != 64 {
		t.Errorf("%d of 64 TX frames back after Stop", n)
	}
}

// TestParkFirstPacketOverVeth: the first packet to a fresh peer, whose
// neighbour entry does not exist yet, is parked while the kernel resolves
// it and reaches the peer at once, IPv4 (ARP) and IPv6 (ND), instead of
// being dropped.
func TestParkFirstPacketOverVeth(t *testing.T) {
	testbed.RequirePriv(t)
	na, nb := testbed.NewNetns(t), testbed.NewNetns(t)
	ours, peer := testbed.NewVeth(t, na, nb, testbed.VethConfig{})
	r, err := OpenRuntime(RuntimeConfig{Interface: ours.Name, NetNS: na.Path(), Queues: 1,
		NewHandler: func(int) Handler { return &ctlSend{} }})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p := r.Group().Pollers()[0]
	buf := make([]byte, 2048)
	for i, dst := range []netip.Addr{peer.IPv4, peer.IPv6} {
		fd := peerSocket(t, peer, dst.Is6())
		hdr := 0
		if dst.Is4() {
			hdr = 20
		}
		start := time.Now()
		p.Send(dst)
		arrived := false
		for deadline := start.Add(3 * time.Second); !arrived && time.Now().Before(deadline); {
			n, _, err := unix.Recvfrom(fd, buf, 0)
			if err != nil || n < hdr+12 {
				continue
			}
			s, err := wire.ParseSCTP(buf[hdr:n])
			arrived = err == nil && s.VerificationTag() == 7 && s.SrcPort() == 5000
		}
		took := time.Since(start)
		if !arrived {
			t.Fatalf("%v: first packet not received in 3 s; stats %+v", dst, p.Stats())
		}
		t.Logf("first packet to %v received after %v (route cache %+v)", dst, took, r.routes.Stats())
		if st := p.Stats(); st.TxParked != uint64(i+1) || st.TxUnresolved != 0 || st.TxPackets != uint64(i+1) {
			t.Errorf("%v: stats %+v (want the packet parked, then sent)", dst, st)
		}
	}
}
