package fastpath

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/sctp-xdp/sctp-xdp/crc32c"
	"github.com/sctp-xdp/sctp-xdp/wire"
)

// fuzzHandler is a handler that exercises every way a handler gives a
// frame back (Reply, Send, ToSlowPath, nothing) and counts what it saw, so
// that the fuzz target can check that every received frame met exactly one
// fate.
type fuzzHandler struct {
	t               *testing.T
	reply, allSlow  bool
	packets, icmps  int
	controls, slows int
	// made counts the TX buffers taken, refused the Reply and Send calls
	// that gave theirs back with an error other than the resolver's.
	made, refused int
}

// sent accounts for one Reply or Send.
func (h *fuzzHandler) sent(err error) {
	if err != nil && !errors.Is(err, errFuzzNoRoute) {
		h.refused++
	}
}

func (h *fuzzHandler) HandlePacket(c *Ctx, p *Packet) {
	h.packets++
	// The poller parses into one Frame it reuses: what the handler sees must
	// be what a fresh parse of the same bytes gives.
	fresh, err := wire.ParseFrame(p.Raw())
	if err != nil || fresh.Source != p.Frame.Source || fresh.Destination != p.Frame.Destination ||
		fresh.Protocol != wire.IPProtocolSCTP || fresh.L4Offset != p.Frame.L4Offset || fresh.End != p.Frame.End ||
		fresh.Eth != p.Frame.Eth || fresh.Fragment {
		h.t.Fatalf("handler got frame %+v, a fresh parse gives %+v (%v)", p.Frame, fresh, err)
	}
	if _, err := wire.ParseSCTP(fresh.L4); err != nil {
		h.t.Fatalf("handler got an SCTP packet that does not parse: %v", err)
	}
	if first, _ := p.SCTP.FirstChunk(); h.allSlow || first.Type() == wire.ChunkInit {
		c.ToSlowPath(p)
		return
	}
	if !h.reply {
		return
	}
	b := c.NewPacket()
	if b == nil {
		h.t.Fatal("no TX frame free for one reply")
	}
	h.made++
	var w wire.Builder
	w.Start(b, p.SCTP.DstPort(), p.SCTP.SrcPort(), p.SCTP.VerificationTag())
	w.Chunk(wire.ChunkCookieAck, 0, nil)
	b, err = w.Finish()
	if err != nil {
		h.t.Fatal(err)
	}
	h.sent(c.Reply(p, b)) // may refuse (group MAC, mapped addresses): the frame must still come back
}

func (h *fuzzHandler) HandleICMP(c *Ctx, m *ICMP) {
	h.icmps++
	if m.Err.Protocol != wire.IPProtocolSCTP || len(m.Err.Quoted) < 8 {
		h.t.Fatalf("handler got ICMP error %+v", m.Err)
	}
}

// fuzzHandOver is the slow path's answer: an INIT ACK to the peer, sent
// from the poller that received the packet.
type fuzzHandOver struct{ peer netip.Addr }

func (h *fuzzHandler) HandleControl(c *Ctx, msg any) {
	h.controls++
	r := msg.(fuzzHandOver)
	b := c.NewPacket()
	if b == nil {
		h.t.Fatal("no TX frame free for the INIT ACK")
	}
	h.made++
	var w wire.Builder
	w.Start(b, 5000, 5001, 0x12345600)
	w.BeginInitAck(0x12345600|uint32(c.Poller()), 65536, 10, 10, 1)
	w.Param(wire.ParamStateCookie, []byte("cookie"))
	w.End()
	b, err := w.Finish()
	if err != nil {
		h.t.Fatal(err)
	}
	h.sent(c.Send(b, netip.Addr{}, r.peer, 0)) // a mapped address fails: the frame comes back
}

func (h *fuzzHandler) HandleTimer(c *Ctx, t *Timer) {}
func (h *fuzzHandler) Flush(c *Ctx)                 {}

func (h *fuzzHandler) HandleSlow(s *SlowPath, p *Packet) {
	h.slows++
	s.HandOver(p.Poller, fuzzHandOver{peer: p.Frame.Source})
}
func (h *fuzzHandler) HandleRequest(s *SlowPath, req any) {}

// fuzzBed is a group with its links, kept across inputs (making pollers
// costs megabytes): each input must leave it as it found it.
type fuzzBed struct {
	g            *Group
	links, peers []*MemLink
	res          *fuzzResolver
	now          int64 // the pollers' clock
}

const fuzzFrames = 256

func newFuzzBed(f *testing.F, h *fuzzHandler, queues int) *fuzzBed {
	bed := &fuzzBed{res: &fuzzResolver{}}
	var cfgs []PollerConfig
	for q := 0; q < queues; q++ {
		a, b, err := NewMemLinkPair(fuzzFrames, 2048)
		if err != nil {
			f.Fatal(err)
		}
		cfgs = append(cfgs, PollerConfig{Link: a, Queue: q, Handler: h, Resolver: bed.res,
			Clock: func() int64 { return bed.now }})
		if queues > 1 {
			cfgs[q].MAC = macA // replies to group MACs leave from it
		}
		bed.links, bed.peers = append(bed.links, a), append(bed.peers, b)
	}
	g, err := NewGroup(GroupConfig{Pollers: cfgs, Slow: h})
	if err != nil {
		f.Fatal(err)
	}
	// Associations of ipB and ip6B (ports 5001 -> 5000) live on the last
	// poller: INITs, T-bit chunks and ICMP errors about them route there.
	g.Shared().Set(TupleKey{Peer: ipB, LocalPort: 5000, PeerPort: 5001}, queues-1)
	g.Shared().Set(TupleKey{Peer: ip6B, LocalPort: 5000, PeerPort: 5001}, queues-1)
	bed.g = g
	return bed
}

// fuzzResolver resolves destinations from ipA or ip6A, by mode: at once
// (0), after a first "pending" (1: the packet is parked, then sent), never
// (2: no route), or never but pending (3: parked until the poller gives up).
type fuzzResolver struct {
	mode  byte
	calls int
}

var errFuzzNoRoute = errors.New("no route")

func (r *fuzzResolver) Resolve(src, dst netip.Addr) (NextHop, error) {
	r.calls++
	switch {
	case r.mode == 1 && r.calls == 1, r.mode == 3:
		return NextHop{}, fmt.Errorf("fuzz: %w", ErrNeighbourPending)
	case r.mode == 2:
		return NextHop{}, errFuzzNoRoute
	}
	h := NextHop{SrcMAC: macA, DstMAC: macB, Src: ipA}
	if dst.Is6() {
		h.Src = ip6A
	}
	return h, nil
}

func sumStats(g *Group) PollerStats {
	var s PollerStats
	for _, p := range g.Pollers() {
		st := p.Stats()
		s.RxFrames += st.RxFrames
		s.RxPackets += st.RxPackets
		s.TxPackets += st.TxPackets
		s.ForwardedIn += st.ForwardedIn
		s.ForwardedOut += st.ForwardedOut
		s.ToSlowPath += st.ToSlowPath
		s.TxUnresolved += st.TxUnresolved
		s.TxParked += st.TxParked
		for r := range st.Drops {
			s.Drops[r] += st.Drops[r]
		}
	}
	return s
}

// FuzzPollerFrame feeds one arbitrary frame to a poller of a group of one or
// two (mode bit 0), on queue 0 or 1 (bit 1), with a handler that replies
// (bit 2) and hands every packet to the slow path (bit 3), and next hops
// resolved as fuzzResolver's mode (bits 4-5). However bad the frame: no
// panic; every frame goes back to its pool (receive buffers, TX frames,
// transfer buffers, the parking area); the frame meets exactly one fate
// (handled, forwarded once, or dropped with a reason); every packet the
// handler made left, was refused with an error or counted unresolved; and
// whatever leaves is a valid frame with a valid SCTP packet.
func FuzzPollerFrame(f *testing.F) {
	for _, o := range []frameOpts{
		{vtag: 7, chunk: wire.ChunkData},
		{vtag: 0xabcdef01, chunk: wire.ChunkData}, // owner bits: poller 1
		{src: ip6B, dst: ip6A, vtag: 8, chunk: wire.ChunkData, vlan: 100},
		{vtag: 0, chunk: wire.ChunkInit},
		{src: ip6B, dst: ip6A, vtag: 0, chunk: wire.ChunkInit},
		{vtag: 0x1000, chunk: wire.ChunkAbort, flags: wire.FlagT},
		{vtag: 0x1000, chunk: wire.ChunkShutdownComplete, flags: wire.FlagT},
		{vtag: 9, chunk: wire.ChunkData, badCRC: true},
		{vtag: 10, chunk: wire.ChunkCookieAck, fragment: true},
		{vtag: 3, chunk: wire.ChunkData, dstMAC: [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
	} {
		fr := buildFrame(f, nil, o)
		for _, mode := range []byte{0, 1, 3, 5, 7, 13, 0x15, 0x25, 0x35, 0x3d} {
			f.Add(mode, fr)
		}
	}
	// ICMPv4 fragmentation needed and ICMPv6 packet too big, quoting what we
	// sent to the peers of the shared table.
	b := fragNeededFrame(f)
	eth := wire.EthernetHeader{Destination: macA, Source: macB}
	f.Add(byte(0), b)
	f.Add(byte(3), b)
	q6 := buildFrame(f, nil, frameOpts{src: ip6A, dst: ip6B, vtag: 0x78, chunk: wire.ChunkData})
	binary.BigEndian.PutUint16(q6[wire.EthernetHeaderLen+40:], 5000)
	binary.BigEndian.PutUint16(q6[wire.EthernetHeaderLen+42:], 5001)
	router := netip.MustParseAddr("2001:2::fe")
	eth.EtherType = wire.EtherTypeIPv6
	b = wire.AppendEthernet(nil, &eth)
	b, _ = wire.AppendIPv6Header(b, &wire.IPv6Fields{NextHeader: wire.IPProtocolICMPv6, HopLimit: 64,
		Source: router.As16(), Destination: ip6A.As16()})
	icmp := len(b)
	b = append(b, 2, 0, 0, 0, 0, 0, 0x05, 0x00) // packet too big, MTU 1280 (RFC 4443 3.2)
	b = append(b, q6[wire.EthernetHeaderLen:]...)
	binary.BigEndian.PutUint16(b[wire.EthernetHeaderLen+4:], uint16(len(b)-icmp))
	binary.BigEndian.PutUint16(b[icmp+2:], icmpv6Checksum(router, ip6A, b[icmp:]))
	if err := wire.FinishIPv6(b, wire.EthernetHeaderLen); err != nil {
		f.Fatal(err)
	}
	f.Add(byte(0), b)
	f.Add(byte(1), b)
	f.Add(byte(5), []byte{1, 2, 3})

	h := &fuzzHandler{}
	var beds [2]*fuzzBed
	beds[0], beds[1] = newFuzzBed(f, h, 1), newFuzzBed(f, h, 2)
	f.Fuzz(func(t *testing.T, mode byte, frame []byte) {
		if len(frame) > 2048 {
			return // a MemLink buffer; AF_XDP frames are not longer either
		}
		bed := beds[mode&1]
		q := int(mode>>1&1) % len(bed.peers)
		*h = fuzzHandler{t: t, reply: mode&4 != 0, allSlow: mode&8 != 0}
		*bed.res = fuzzResolver{mode: mode >> 4 & 3}
		before := sumStats(bed.g)
		slowBefore := bed.g.Slow().Handled()

		send(t, bed.peers[q], frame)
		sent := 0
		for round := 0; ; round++ {
			if round == 10 {
				t.Fatal("still working after 10 rounds: frames go round in circles")
			}
			work := bed.g.Slow().drain()
			for _, p := range bed.g.Pollers() {
				work += p.Poll()
			}
			for _, peer := range bed.peers {
				for _, out := range recvAll(peer) {
					sent++
					checkSent(t, out)
				}
			}
			parked := false
			for _, p := range bed.g.Pollers() {
				parked = parked || p.parked.n > 0
			}
			if parked { // retries back off to 8 ms; the poller gives up after 1 s
				bed.now += int64(300 * time.Millisecond)
			} else if work == 0 {
				break
			}
		}

		after := sumStats(bed.g)
		d := func(a, b uint64) uint64 { return a - b }
		var drops uint64
		for r := range after.Drops {
			drops += d(after.Drops[r], before.Drops[r])
		}
		rx, fwdIn, fwdOut := d(after.RxFrames, before.RxFrames), d(after.ForwardedIn, before.ForwardedIn),
			d(after.ForwardedOut, before.ForwardedOut)
		fates := d(after.RxPackets, before.RxPackets) + uint64(h.icmps) + drops + fwdOut
		if rx != 1 || fwdIn != fwdOut || fwdOut > 1 || fates != rx+fwdIn {
			t.Fatalf("1 frame: rx %d, forwarded out %d in %d, fates %d (packets %d, ICMP %d, drops %v)",
				rx, fwdOut, fwdIn, fates, d(after.RxPackets, before.RxPackets), h.icmps, after.Drops)
		}
		if uint64(h.packets) != d(after.RxPackets, before.RxPackets) {
			t.Fatalf("handler saw %d packets, counted %d", h.packets, d(after.RxPackets, before.RxPackets))
		}
		toSlow := d(after.ToSlowPath, before.ToSlowPath)
		if slow := bed.g.Slow().Handled() - slowBefore; toSlow != slow || uint64(h.slows) != slow ||
			h.controls != h.slows {
			t.Fatalf("%d to the slow path, %d handled there, %d handed over, %d hand-overs run",
				toSlow, slow, h.slows, h.controls)
		}
		tx, unresolved := d(after.TxPackets, before.TxPackets), d(after.TxUnresolved, before.TxUnresolved)
		if tx != uint64(sent) {
			t.Fatalf("%d packets counted sent, %d arrived", tx, sent)
		}
		if uint64(h.made) != tx+unresolved+uint64(h.refused) {
			t.Fatalf("%d packets made: %d sent, %d unresolved, %d refused", h.made, tx, unresolved, h.refused)
		}
		checkPools(t, bed)
	})
}

// checkSent: what a poller transmits is a valid frame carrying a valid
// SCTP packet, whatever it answered.
func checkSent(t *testing.T, out []byte) {
	fr, err := wire.ParseFrame(out)
	if err != nil {
		t.Fatalf("sent an invalid frame: %v\n% x", err, out)
	}
	if fr.Protocol != wire.IPProtocolSCTP || fr.Fragment || !crc32c.Verify(fr.L4) {
		t.Fatalf("sent protocol %d fragment %v CRC ok %v", fr.Protocol, fr.Fragment, crc32c.Verify(fr.L4))
	}
	if _, err := wire.ParseSCTP(fr.L4); err != nil {
		t.Fatalf("sent an invalid SCTP packet: %v", err)
	}
	if fr.Eth.Source[0]&1 != 0 {
		t.Fatalf("sent from group MAC %x", fr.Eth.Source)
	}
}

// checkPools: after an input every buffer is back where it started.
func checkPools(t *testing.T, bed *fuzzBed) {
	for i, p := range bed.g.Pollers() {
		if len(p.xfree) != xferPerPoll || p.txPending || len(p.txBatch) != 0 || p.parked.n != 0 {
			t.Fatalf("poller %d: %d transfer buffers of %d, TX pending %v, %d in the batch, %d parked",
				i, len(p.xfree), xferPerPoll, p.txPending, len(p.txBatch), p.parked.n)
		}
	}
	for i, l := range append(bed.links[:len(bed.links):len(bed.links)], bed.peers...) {
		if len(l.txFree) != fuzzFrames || l.rxFree.Len() != fuzzFrames || l.rx.Len() != 0 {
			t.Fatalf("link %d: %d TX frames, %d RX buffers free of %d, %d received waiting",
				i, len(l.txFree), l.rxFree.Len(), fuzzFrames, l.rx.Len())
		}
	}
	if !bed.g.Slow().in.Empty() {
		t.Fatal("slow path ring not empty")
	}
}

// icmpv6Checksum is the ICMPv6 checksum over the pseudo-header (RFC 4443
// 2.3, RFC 8200 8.1) and msg, whose checksum field is zero.
func icmpv6Checksum(src, dst netip.Addr, msg []byte) uint16 {
	ph := make([]byte, 0, 40+len(msg))
	s, d := src.As16(), dst.As16()
	ph = append(ph, s[:]...)
	ph = append(ph, d[:]...)
	ph = binary.BigEndian.AppendUint32(ph, uint32(len(msg)))
	ph = append(ph, 0, 0, 0, wire.IPProtocolICMPv6)
	ph = append(ph, msg...)
	return wire.InternetChecksum(ph)
}
