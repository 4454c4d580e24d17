package fastpath

import (
	"encoding/binary"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sctp-xdp/sctp-xdp/crc32c"
	"github.com/sctp-xdp/sctp-xdp/wire"
)

var (
	macA = [6]byte{2, 0, 0, 0, 0, 0xa}
	macB = [6]byte{2, 0, 0, 0, 0, 0xb}
	ipA  = netip.MustParseAddr("198.18.0.1")
	ipB  = netip.MustParseAddr("198.18.0.2")
	ip6A = netip.MustParseAddr("2001:2::1")
	ip6B = netip.MustParseAddr("2001:2::2")
)

// frameOpts shape a test frame from the peer (B) to the poller (A).
type frameOpts struct {
	src, dst netip.Addr
	vtag     uint32
	chunk    wire.ChunkType
	flags    uint8
	badCRC   bool
	fragment bool
	vlan     uint16  // an 802.1Q tag with this VID when non-zero
	dstMAC   [6]byte // macA when zero
}

// buildFrame appends an Ethernet/IP/SCTP frame with one chunk to b.
func buildFrame(t testing.TB, b []byte, o frameOpts) []byte {
	if !o.src.IsValid() {
		o.src, o.dst = ipB, ipA
	}
	eth := wire.EthernetHeader{Destination: macA, Source: macB, EtherType: wire.EtherTypeIPv4}
	if o.dstMAC != ([6]byte{}) {
		eth.Destination = o.dstMAC
	}
	if o.vlan != 0 {
		eth.Tags[0] = wire.VLANTag{TPID: 0x8100, TCI: o.vlan}
	}
	if o.src.Is6() {
		eth.EtherType = wire.EtherTypeIPv6
	}
	b = wire.AppendEthernet(b, &eth)
	l2 := len(b)
	var err error
	if o.src.Is4() {
		b, _, err = wire.AppendIPv4Header(b, &wire.IPv4Fields{TTL: 64, Protocol: wire.IPProtocolSCTP,
			Source: o.src.As4(), Destination: o.dst.As4(), MoreFragments: o.fragment})
		if err != nil {
			t.Fatal(err)
		}
	} else {
		b, _ = wire.AppendIPv6Header(b, &wire.IPv6Fields{NextHeader: wire.IPProtocolSCTP, HopLimit: 64,
			Source: o.src.As16(), Destination: o.dst.As16()})
	}
	var w wire.Builder
	w.Start(b, 5001, 5000, o.vtag)
	switch o.chunk {
	case wire.ChunkInit:
		w.BeginInit(0x51515151, 65536, 10, 10, 1)
		w.End()
	case wire.ChunkData:
		w.Data(wire.FlagBeginning|wire.FlagEnd, 1, 0, 0, 0, []byte("hello, poller"))
	default:
		w.Chunk(o.chunk, o.flags, nil)
	}
	b, err = w.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if o.badCRC {
		b[len(b)-1] ^= 0xff // corrupt the payload, not the CRC field
	}
	if o.src.Is4() {
		err = wire.FinishIPv4(b, l2)
	} else {
		err = wire.FinishIPv6(b, l2)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// send transmits a frame from the peer end.
func send(t testing.TB, peer *MemLink, frame []byte) {
	var f [1]Frame
	if peer.Alloc(f[:]) != 1 {
		t.Fatal("peer has no TX frame")
	}
	n := copy(peer.Bytes(f[0]), frame)
	f[0].Len = n
	peer.Transmit(f[:])
}

// recvAll takes every frame waiting at the peer.
func recvAll(peer *MemLink) [][]byte {
	var out [][]byte
	fs := make([]Frame, 64)
	for {
		n := peer.Receive(fs)
		if n == 0 {
			return out
		}
		for _, f := range fs[:n] {
			out = append(out, append([]byte(nil), peer.Bytes(f)[f.Off:f.Off+f.Len]...))
		}
		peer.Release(fs[:n])
	}
}

// echoHandler answers each packet with a COOKIE ACK from the ports swapped,
// through Reply, and records what it saw.
type echoHandler struct {
	mu       sync.Mutex
	packets  []seen
	controls []any
	timers   int
	icmps    []wire.ICMPError
	flushes  int
	reply    bool
}

type seen struct {
	poller, from int
	forwarded    bool
	vtag         uint32
	chunk        wire.ChunkType
}

func (h *echoHandler) HandlePacket(c *Ctx, p *Packet) {
	first, _ := p.SCTP.FirstChunk()
	h.mu.Lock()
	h.packets = append(h.packets, seen{c.Poller(), p.Poller, p.Forwarded, p.SCTP.VerificationTag(), first.Type()})
	h.mu.Unlock()
	if first.Type() == wire.ChunkInit {
		c.ToSlowPath(p)
		return
	}
	if !h.reply {
		return
	}
	b := c.NewPacket()
	if b == nil {
		return
	}
	var w wire.Builder
	w.Start(b, p.SCTP.DstPort(), p.SCTP.SrcPort(), p.SCTP.VerificationTag())
	w.Chunk(wire.ChunkCookieAck, 0, nil)
	b, _ = w.Finish()
	c.Reply(p, b)
}

func (h *echoHandler) HandleICMP(c *Ctx, m *ICMP) {
	h.mu.Lock()
	h.icmps = append(h.icmps, m.Err)
	h.mu.Unlock()
}

func (h *echoHandler) HandleControl(c *Ctx, msg any) {
	h.mu.Lock()
	h.controls = append(h.controls, msg)
	h.mu.Unlock()
	if r, ok := msg.(handOver); ok { // the first reply leaves after the hand-over
		b := c.NewPacket()
		var w wire.Builder
		w.Start(b, 5000, 5001, r.vtag)
		w.BeginInitAck(r.vtag, 65536, 10, 10, 1)
		w.Param(wire.ParamStateCookie, []byte("cookie"))
		w.End()
		b, _ = w.Finish()
		if err := c.Send(b, ipA, ipB, 0); err != nil {
			panic(err)
		}
	}
}

func (h *echoHandler) HandleTimer(c *Ctx, t *Timer) { h.timers++ }
func (h *echoHandler) Flush(c *Ctx)                 { h.flushes++ }

type handOver struct{ vtag uint32 }

// slowHandler hands every packet over to poller 0.
type slowHandler struct{}

func (slowHandler) HandleSlow(s *SlowPath, p *Packet) {
	s.HandOver(0, handOver{vtag: 0x12345600})
}
func (slowHandler) HandleRequest(s *SlowPath, req any) {}

type staticResolver struct{}

func (staticResolver) Resolve(src, dst netip.Addr) (NextHop, error) {
	return NextHop{SrcMAC: macA, DstMAC: macB}, nil
}

func newTestGroup(t testing.TB, queues int, h Handler, slow SlowHandler) (*Group, []*MemLink) {
	var cfgs []PollerConfig
	var peers []*MemLink
	for q := 0; q < queues; q++ {
		a, b, err := NewMemLinkPair(256, 2048)
		if err != nil {
			t.Fatal(err)
		}
		cfgs = append(cfgs, PollerConfig{Link: a, Queue: q, Handler: h, Resolver: staticResolver{}})
		peers = append(peers, b)
	}
	g, err := NewGroup(GroupConfig{Pollers: cfgs, Slow: slow})
	if err != nil {
		t.Fatal(err)
	}
	return g, peers
}

func TestPollerEchoAndDrops(t *testing.T) {
	h := &echoHandler{reply: true}
	g, peers := newTestGroup(t, 1, h, nil)
	p, peer := g.Pollers()[0], peers[0]
	for _, o := range []frameOpts{
		{vtag: 7, chunk: wire.ChunkData},
		{src: ip6B, dst: ip6A, vtag: 8, chunk: wire.ChunkData},
		{vtag: 9, chunk: wire.ChunkData, badCRC: true},
		{vtag: 10, chunk: wire.ChunkCookieAck, fragment: true}, // 16 bytes: a valid first fragment
	} {
		send(t, peer, buildFrame(t, nil, o))
	}
	send(t, peer, []byte{1, 2, 3})                                        // not even Ethernet
	bad := buildFrame(t, nil, frameOpts{vtag: 11, chunk: wire.ChunkData}) // chunk length beyond the packet
	binary.BigEndian.PutUint16(bad[wire.EthernetHeaderLen+20+12+2:], 200)
	crc32c.Stamp(bad[wire.EthernetHeaderLen+20:])
	send(t, peer, bad)
	if n := p.Poll(); n != 6 {
		t.Fatalf("Poll handled %d items, want 6", n)
	}
	st := p.Stats()
	if st.RxFrames != 6 || st.RxPackets != 2 || st.TxPackets != 2 {
		t.Errorf("stats %+v", st)
	}
	for r, want := range map[DropReason]uint64{DropChecksum: 1, DropFragment: 1, DropMalformed: 2} {
		if st.Drops[r] != want {
			t.Errorf("drops[%s] = %d, want %d", r, st.Drops[r], want)
		}
	}
	replies := recvAll(peer)
	if len(replies) != 2 {
		t.Fatalf("%d replies, want 2", len(replies))
	}
	for i, r := range replies {
		fr, err := wire.ParseFrame(r)
		if err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
		s, err := wire.ParseSCTP(fr.L4)
		if err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
		if fr.Eth.Destination != macB || fr.Eth.Source != macA {
			t.Errorf("reply %d: MACs %x -> %x, want the request's swapped", i, fr.Eth.Source, fr.Eth.Destination)
		}
		wantSrc := []netip.Addr{ipA, ip6A}[i]
		if fr.Source != wantSrc || s.SrcPort() != 5000 || s.DstPort() != 5001 {
			t.Errorf("reply %d: from %v:%d to port %d", i, fr.Source, s.SrcPort(), s.DstPort())
		}
		if fr.TTL != defaultTTL {
			t.Errorf("reply %d: TTL %d", i, fr.TTL)
		}
		if fr.Source.Is4() && r[wire.EthernetHeaderLen+6]&0x40 == 0 {
			t.Errorf("reply %d: DF not set", i)
		}
	}
	if h.flushes != 1 {
		t.Errorf("Flush called %d times per batch, want 1", h.flushes)
	}
}

func TestPollerForwardsByOwnerBits(t *testing.T) {
	h := &echoHandler{}
	g, peers := newTestGroup(t, 3, h, nil)
	if g.OwnerBits() != 2 {
		t.Fatalf("OwnerBits = %d for 3 pollers", g.OwnerBits())
	}
	// Arrives on queue 0, tagged for poller 2; then a tag naming no poller (3).
	send(t, peers[0], buildFrame(t, nil, frameOpts{vtag: 0xabcdef02, chunk: wire.ChunkData}))
	send(t, peers[0], buildFrame(t, nil, frameOpts{vtag: 0xabcdef03, chunk: wire.ChunkData}))
	g.Pollers()[0].Poll()
	g.Pollers()[2].Poll()
	if len(h.packets) != 2 {
		t.Fatalf("handled %+v", h.packets)
	}
	if got := h.packets[0]; got.poller != 0 || got.vtag != 0xabcdef03 || got.forwarded {
		t.Errorf("foreign tag: %+v, want handled on the receiving poller", got)
	}
	if got := h.packets[1]; got.poller != 2 || got.from != 0 || !got.forwarded {
		t.Errorf("forwarded: %+v, want poller 2 from 0", got)
	}
	if st := g.Pollers()[0].Stats(); st.ForwardedOut != 1 {
		t.Errorf("poller 0 stats %+v", st)
	}
	if st := g.Pollers()[2].Stats(); st.ForwardedIn != 1 {
		t.Errorf("poller 2 stats %+v", st)
	}
	// The transfer buffer went home.
	g.Pollers()[0].Poll()
	if n := len(g.Pollers()[0].xfree); n != xferPerPoll {
		t.Errorf("poller 0 has %d transfer buffers, want %d", n, xferPerPoll)
	}
}

func TestPollerSharedTableForTBit(t *testing.T) {
	h := &echoHandler{}
	g, peers := newTestGroup(t, 2, h, nil)
	g.Shared().Set(TupleKey{Peer: ipB, LocalPort: 5000, PeerPort: 5001}, 1)
	// ABORT with the T bit carries the peer's own tag: owner bits mean nothing.
	send(t, peers[0], buildFrame(t, nil, frameOpts{vtag: 0x1000, chunk: wire.ChunkAbort, flags: wire.FlagT}))
	g.Pollers()[0].Poll()
	g.Pollers()[1].Poll()
	if len(h.packets) != 1 || h.packets[0].poller != 1 {
		t.Fatalf("T-bit ABORT handled as %+v, want on poller 1", h.packets)
	}
}

// TestPollerSharedTableForInit: an INIT from a peer with an association on
// another poller (collision, restart: RFC 9260 5.2) goes to that poller; an
// INIT of a new peer stays on the receiving one.
func TestPollerSharedTableForInit(t *testing.T) {
	h := &echoHandler{}
	g, peers := newTestGroup(t, 2, h, nil)
	g.Shared().Set(TupleKey{Peer: ipB, LocalPort: 5000, PeerPort: 5001}, 1)
	send(t, peers[0], buildFrame(t, nil, frameOpts{vtag: 0, chunk: wire.ChunkInit}))
	g.Pollers()[0].Poll()
	g.Pollers()[1].Poll()
	if len(h.packets) != 1 || h.packets[0].poller != 1 || !h.packets[0].forwarded {
		t.Fatalf("INIT of an associated peer handled as %+v, want forwarded to poller 1", h.packets)
	}
	g.Shared().Set(TupleKey{Peer: ipB, LocalPort: 5000, PeerPort: 5001}, -1)
	send(t, peers[0], buildFrame(t, nil, frameOpts{vtag: 0, chunk: wire.ChunkInit}))
	g.Pollers()[0].Poll()
	if len(h.packets) != 2 || h.packets[1].poller != 0 || h.packets[1].forwarded {
		t.Fatalf("INIT of a new peer handled as %+v, want on poller 0", h.packets)
	}
}

func TestSlowPathHandOver(t *testing.T) {
	h := &echoHandler{}
	g, peers := newTestGroup(t, 1, h, slowHandler{})
	if err := g.Start(); err != nil {
		t.Fatal(err)
	}
	defer g.Stop()
	send(t, peers[0], buildFrame(t, nil, frameOpts{vtag: 0, chunk: wire.ChunkInit}))
	deadline := time.Now().Add(10 * time.Second)
	var got [][]byte
	for len(got) == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
		got = recvAll(peers[0])
	}
	if len(got) != 1 {
		t.Fatalf("%d replies to INIT", len(got))
	}
	fr, _ := wire.ParseFrame(got[0])
	s, err := wire.ParseSCTP(fr.L4)
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := s.FirstChunk(); c.Type() != wire.ChunkInitAck || s.VerificationTag() != 0x12345600 {
		t.Errorf("reply %v vtag %#x", c.Type(), s.VerificationTag())
	}
	if err := g.Stop(); err != nil {
		t.Fatal(err)
	}
	if g.Slow().Handled() != 1 || g.Pollers()[0].Stats().ToSlowPath != 1 {
		t.Errorf("slow path handled %d, poller handed %d", g.Slow().Handled(), g.Pollers()[0].Stats().ToSlowPath)
	}
}

func TestPollerICMPRouting(t *testing.T) {
	h := &echoHandler{}
	g, peers := newTestGroup(t, 2, h, nil)
	g.Shared().Set(TupleKey{Peer: ipB, LocalPort: 5000, PeerPort: 5001}, 1)
	b := fragNeededFrame(t)
	send(t, peers[0], b)
	g.Pollers()[0].Poll()
	g.Pollers()[1].Poll()
	if len(h.icmps) != 1 || h.icmps[0].MTU != 1280 || h.icmps[0].QuotedVerificationTag() != 0x77 {
		t.Fatalf("ICMP errors handled: %+v", h.icmps)
	}
	if st := g.Pollers()[0].Stats(); st.ForwardedOut != 1 {
		t.Errorf("ICMP not forwarded to the owner: %+v", st)
	}
}

// fragNeededFrame is what A sent to B (ports 5000 -> 5001), quoted by a
// router in a "fragmentation needed" (RFC 1191) with MTU 1280.
func fragNeededFrame(t testing.TB) []byte {
	quoted := buildFrame(t, nil, frameOpts{src: ipA, dst: ipB, vtag: 0x77, chunk: wire.ChunkData})
	binary.BigEndian.PutUint16(quoted[wire.EthernetHeaderLen+20:], 5000)
	binary.BigEndian.PutUint16(quoted[wire.EthernetHeaderLen+22:], 5001)
	eth := wire.EthernetHeader{Destination: macA, Source: macB, EtherType: wire.EtherTypeIPv4}
	b := wire.AppendEthernet(nil, &eth)
	b, _, _ = wire.AppendIPv4Header(b, &wire.IPv4Fields{TTL: 64, Protocol: wire.IPProtocolICMP,
		Source: netip.MustParseAddr("198.18.0.254").As4(), Destination: ipA.As4()})
	b = appendFragNeeded(b, 1280, quoted[wire.EthernetHeaderLen:])
	if err := wire.FinishIPv4(b, wire.EthernetHeaderLen); err != nil {
		t.Fatal(err)
	}
	return b
}

// appendFragNeeded appends an ICMPv4 destination unreachable, fragmentation
// needed (type 3 code 4) quoting q.
func appendFragNeeded(b []byte, mtu uint16, q []byte) []byte {
	off := len(b)
	b = append(b, 3, 4, 0, 0, 0, 0, byte(mtu>>8), byte(mtu))
	b = append(b, q...)
	binary.BigEndian.PutUint16(b[off+2:], wire.InternetChecksum(b[off:]))
	return b
}

func TestPollerTimers(t *testing.T) {
	h := &echoHandler{}
	now := int64(0)
	a, _, _ := NewMemLinkPair(16, 2048)
	g, err := NewGroup(GroupConfig{Pollers: []PollerConfig{{Link: a, Handler: h, Clock: func() int64 { return now }}}})
	if err != nil {
		t.Fatal(err)
	}
	p := g.Pollers()[0]
	var tm Timer
	p.ctx.Schedule(&tm, int64(5*time.Millisecond))
	p.Poll()
	if h.timers != 0 {
		t.Fatal("timer fired early")
	}
	now = int64(5 * time.Millisecond)
	p.Poll()
	if h.timers != 1 {
		t.Fatalf("timer fired %d times", h.timers)
	}
}

func TestPollerAllocs(t *testing.T) {
	h := &echoHandler{reply: true}
	g, peers := newTestGroup(t, 2, h, nil)
	p, peer := g.Pollers()[0], peers[0]
	own := buildFrame(t, nil, frameOpts{vtag: 0x100, chunk: wire.ChunkData})
	other := buildFrame(t, nil, frameOpts{vtag: 0x101, chunk: wire.ChunkData})
	h.packets = make([]seen, 0, 10000)
	fs := make([]Frame, 64)
	allocs := testing.AllocsPerRun(200, func() {
		for i := 0; i < 8; i++ {
			send(t, peer, own)
		}
		send(t, peer, other)
		p.Poll()
		g.Pollers()[1].Poll()
		for n := peer.Receive(fs); n > 0; n = peer.Receive(fs) {
			peer.Release(fs[:n])
		}
		h.packets = h.packets[:0]
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per batch, want 0", allocs)
	}
}

func TestGroupConfigErrors(t *testing.T) {
	if _, err := NewGroup(GroupConfig{}); err == nil {
		t.Error("no pollers accepted")
	}
	if _, err := NewGroup(GroupConfig{Pollers: []PollerConfig{{Handler: &echoHandler{}}}}); err == nil {
		t.Error("poller without a link accepted")
	}
	a, _, _ := NewMemLinkPair(16, 2048)
	if _, err := NewGroup(GroupConfig{Pollers: []PollerConfig{{Link: a, Handler: &echoHandler{}, Batch: -1}}}); err == nil {
		t.Error("negative batch accepted")
	}
}

// An idle poller blocks in the link's Wait instead of spinning: with no
// traffic and no timers it wakes only when woken.
func TestIdlePollerSleeps(t *testing.T) {
	h := &echoHandler{reply: true}
	g, peers := newTestGroup(t, 1, h, nil)
	if err := g.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if w := g.Pollers()[0].Stats().Wakeups; w != 0 {
		t.Errorf("idle poller woke %d times", w)
	}
	send(t, peers[0], buildFrame(t, nil, frameOpts{vtag: 1, chunk: wire.ChunkData}))
	deadline := time.Now().Add(10 * time.Second)
	for g.Pollers()[0].Stats().RxPackets == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if err := g.Stop(); err != nil {
		t.Fatal(err)
	}
	st := g.Pollers()[0].Stats()
	if st.RxPackets != 1 || st.Wakeups == 0 {
		t.Errorf("after a frame: %+v", st)
	}
}

// Replies keep the request's VLAN tag and never leave from a group MAC.
func TestReplyKeepsVLANAndUnicastSource(t *testing.T) {
	h := &echoHandler{reply: true}
	g, peers := newTestGroup(t, 1, h, nil)
	p, peer := g.Pollers()[0], peers[0]
	bcast := [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	send(t, peer, buildFrame(t, nil, frameOpts{vtag: 1, chunk: wire.ChunkData, vlan: 100}))
	send(t, peer, buildFrame(t, nil, frameOpts{src: ip6B, dst: ip6A, vtag: 2, chunk: wire.ChunkData, vlan: 200}))
	send(t, peer, buildFrame(t, nil, frameOpts{vtag: 3, chunk: wire.ChunkData, dstMAC: bcast}))
	p.Poll()
	replies := recvAll(peer)
	if len(replies) != 2 {
		t.Fatalf("%d replies, want 2 (none from a broadcast MAC without our own)", len(replies))
	}
	for i, vid := range []uint16{100, 200} {
		fr, err := wire.ParseFrame(replies[i])
		if err != nil {
			t.Fatal(err)
		}
		if fr.Eth.NumTags() != 1 || fr.Eth.Tags[0].VID() != vid {
			t.Errorf("reply %d: tags %+v, want VID %d", i, fr.Eth.Tags, vid)
		}
		if _, err := wire.ParseSCTP(fr.L4); err != nil {
			t.Errorf("reply %d: %v", i, err)
		}
	}
	// With the poller's own MAC configured, the broadcast request is answered from it.
	g2, peers2 := newTestGroup(t, 1, h, nil)
	g2.Pollers()[0].cfg.MAC = macA
	send(t, peers2[0], buildFrame(t, nil, frameOpts{vtag: 4, chunk: wire.ChunkData, dstMAC: bcast}))
	g2.Pollers()[0].Poll()
	r := recvAll(peers2[0])
	if len(r) != 1 {
		t.Fatalf("%d replies to a broadcast request", len(r))
	}
	if fr, _ := wire.ParseFrame(r[0]); fr.Eth.Source != macA || fr.Eth.Destination != macB {
		t.Errorf("reply from %x to %x", fr.Eth.Source, fr.Eth.Destination)
	}
}

// burstSend is a handler asked (by a control message) for more packets
// than the link has TX frames: each Flush sends what frames allow and
// leaves the rest for the next, as the endpoint's handler does.
type burstSend struct {
	nopHandler
	want int
	err  atomic.Value // the first error of Send
}

func (h *burstSend) HandleControl(c *Ctx, msg any) { h.want += msg.(int) }

func (h *burstSend) Flush(c *Ctx) {
	for ; h.want > 0; h.want-- {
		b := c.NewPacket()
		if b == nil {
			return
		}
		var w wire.Builder
		w.Start(b, 5000, 5001, 7)
		w.Chunk(wire.ChunkCookieAck, 0, nil)
		b, _ = w.Finish()
		if err := c.Send(b, ipA, ipB, 0); err != nil {
			h.err.CompareAndSwap(nil, err)
		}
	}
}

// TestPollerOutOfTXFramesDoesNotSleep: a poller whose handler ran out of TX
// frames, with nothing to receive and no timer, still sends the rest: the
// frames it transmitted come back without waking it, so it must not block
// in its idle wait (with one spin poll, it used to keep the rest forever).
func TestPollerOutOfTXFramesDoesNotSleep(t *testing.T) {
	a, peer, err := NewMemLinkPair(8, 2048)
	if err != nil {
		t.Fatal(err)
	}
	h := &burstSend{}
	g, err := NewGroup(GroupConfig{Pollers: []PollerConfig{{Link: a, Handler: h, Resolver: staticResolver{}, SpinPolls: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(); err != nil {
		t.Fatal(err)
	}
	defer g.Stop()
	const n = 100
	g.Pollers()[0].Send(n)
	// The peer's link has 8 receive buffers too and drops what finds none
	// free (a full ring): count what left, not what it kept.
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
				recvAll(peer)
			}
		}
	}()
	if !waitFor(func() bool { return g.Pollers()[0].Stats().TxPackets >= n }) {
		t.Fatalf("%d of %d packets sent (Send: %v); stats %+v", g.Pollers()[0].Stats().TxPackets, n, h.err.Load(), g.Pollers()[0].Stats())
	}
	if st := g.Pollers()[0].Stats(); st.Drops[DropNoBuffer] == 0 {
		t.Fatalf("the handler never ran out of frames: the test tests nothing; stats %+v", st)
	}
}

// flushLink is a MemLink that records the poller's FlushTX call.
type flushLink struct {
	*MemLink
	flushed atomic.Int32
}

func (l *flushLink) FlushTX(timeout time.Duration) bool {
	l.flushed.Add(1)
	return timeout > 0
}

// TestPollerFlushesOnStop: a stopping poller asks its link to send what its
// TX ring still holds (XSKLink: frames a kick left there), once, before the
// runtime closes the socket.
func TestPollerFlushesOnStop(t *testing.T) {
	a, _, err := NewMemLinkPair(8, 2048)
	if err != nil {
		t.Fatal(err)
	}
	l := &flushLink{MemLink: a}
	g, err := NewGroup(GroupConfig{Pollers: []PollerConfig{{Link: l, Handler: &nopHandler{}, Resolver: staticResolver{}}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(); err != nil {
		t.Fatal(err)
	}
	if l.flushed.Load() != 0 {
		t.Fatal("flushed while running")
	}
	if err := g.Stop(); err != nil {
		t.Fatal(err)
	}
	if n := l.flushed.Load(); n != 1 {
		t.Fatalf("FlushTX called %d times at the stop, want 1", n)
	}
}
