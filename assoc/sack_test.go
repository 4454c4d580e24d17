package assoc

import (
	"github.com/sctp-xdp/sctp-xdp/crc32c"
	"net/netip"
	"testing"
	"time"

	"github.com/sctp-xdp/sctp-xdp/wire"
)

func sackOf(t *testing.T, pkts [][]byte) (wire.SackChunk, bool) {
	t.Helper()
	for _, pkt := range pkts {
		s, err := wire.ParseSCTP(pkt)
		if err != nil {
			t.Fatal(err)
		}
		for it := s.Chunks(); ; {
			c, ok := it.Next()
			if !ok {
				break
			}
			if c.Type() == wire.ChunkSack {
				return wire.SackChunk(c), true
			}
		}
	}
	return nil, false
}

// RFC 9260 6.2: one packet with DATA is acknowledged after the SACK delay
// (200 ms), not before; the second packet is acknowledged at once; the I
// bit (RFC 7053 4.2) asks for an immediate SACK.
func TestDelayedSack(t *testing.T) {
	p, _, b := establishedPair(t, 70)
	pi := PacketInfo{Src: addrA, Dst: addrB}
	data := func(tsn uint32, flags uint8) []byte {
		return build(portA, portB, b.LocalTag(), func(w *wire.Builder) { w.Data(flags, tsn, 0, uint16(tsn-b.peerTSN), 0, []byte("x")) })
	}
	p.b.Receive(0, pi, data(b.peerTSN, 3))
	if out := take(p.b); len(out) != 0 {
		t.Fatalf("%v", descAll(out))
	}
	if d := b.Deadline(); d != int64(DefaultSackDelay) {
		t.Fatalf("SACK timer at %v, want %v", time.Duration(d), DefaultSackDelay)
	}
	p.b.HandleTimeout(int64(DefaultSackDelay) - 1)
	if out := take(p.b); len(out) != 0 {
		t.Fatal("SACK before the delay")
	}
	p.b.HandleTimeout(int64(DefaultSackDelay))
	if s, ok := sackOf(t, take(p.b)); !ok || s.CumTSNAck() != b.peerTSN {
		t.Fatal("no SACK after the delay")
	}
	// Every second packet.
	p.b.Receive(1e9, pi, data(b.peerTSN+1, 3))
	p.b.Receive(1e9, pi, data(b.peerTSN+2, 3))
	if s, ok := sackOf(t, take(p.b)); !ok || s.CumTSNAck() != b.peerTSN+2 {
		t.Fatal("no SACK on the second packet")
	}
	if b.Deadline() != 0 {
		t.Fatal("SACK timer still running")
	}
	// The I bit.
	p.b.Receive(2e9, pi, data(b.peerTSN+3, 3|wire.FlagImmediate))
	if _, ok := sackOf(t, take(p.b)); !ok {
		t.Fatal("I bit ignored")
	}
	if b.Stats.SacksSent != 3 {
		t.Fatalf("SacksSent %d", b.Stats.SacksSent)
	}
}

// 6.1 B/6.10: a due SACK rides with the DATA going the other way.
func TestSackBundledWithData(t *testing.T) {
	p, a, b := establishedPair(t, 71)
	if err := a.Send(0, 0, 0, 0, []byte("ping")); err != nil {
		t.Fatal(err)
	}
	out := take(p.a)
	p.b.Receive(0, PacketInfo{Src: addrA, Dst: addrB}, out[0])
	if err := b.Send(0, 0, 0, 0, []byte("pong")); err != nil {
		t.Fatal(err)
	}
	got := descAll(take(p.b))
	if len(got) != 1 || got[0] != "SACK,DATA" {
		t.Fatalf("%v", got)
	}
}

// A SACK whose counts do not fit its length is malformed: wire refuses it,
// the endpoint drops the packet, nothing changes.
func TestSackCountsMismatch(t *testing.T) {
	p, a, _ := establishedPair(t, 72)
	a.Send(0, 0, 0, 0, []byte("x"))
	take(p.a)
	raw := build(portB, portA, a.LocalTag(), func(w *wire.Builder) { w.Sack(a.localTSN-1, 1<<20, nil, nil) })
	raw[12+13] = 5 // five gap blocks announced, none present
	crc32c.Stamp(raw)
	p.a.Receive(0, PacketInfo{Src: addrB, Dst: addrA}, raw)
	if a.fl.outstanding() != 1 || a.Stats.SacksReceived != 0 || p.a.Stats.Malformed != 1 {
		t.Fatalf("outstanding %d, stats %+v", a.fl.outstanding(), a.Stats)
	}
}

// 7.2.4: three miss indications trigger one fast retransmission of the
// missing chunk, with cwnd halved (ssthresh = max(cwnd/2, 4 MTU)).
func TestFastRetransmit(t *testing.T) {
	p, a, _ := establishedPair(t, 73)
	a.cfg.NoDelay = true
	for i := 0; i < 5; i++ {
		a.Send(0, 0, 0, 0, make([]byte, 1000))
	}
	sent := take(p.a)
	if len(sent) != 4 {
		t.Fatalf("%d packets in the initial window (Max.Burst 4), %v", len(sent), descAll(sent))
	}
	first := a.fl.cumAck + 1
	cw := a.cwnd()
	sack := func(end uint16) {
		p.a.Receive(0, PacketInfo{Src: addrB, Dst: addrA}, build(portB, portA, a.LocalTag(), func(w *wire.Builder) {
			w.Sack(first-1, 1<<20, []wire.GapBlock{{Start: 2, End: end}}, nil)
		}))
	}
	sack(2)
	sack(3)
	if a.Stats.FastRetransmits != 0 {
		t.Fatal("fast retransmit after two miss indications")
	}
	sack(4)
	if a.Stats.FastRetransmits != 1 || !a.fl.inFR {
		t.Fatalf("stats %+v", a.Stats)
	}
	if want := max(cw/2, 4*a.paths[0].mtu); a.cwnd() != want && a.cwnd() != max(cw/2, 4*(a.paths[0].mtu-20)) {
		t.Fatalf("cwnd %d after fast retransmit, was %d", a.cwnd(), cw)
	}
	out := take(p.a)
	if len(out) == 0 || a.Stats.RtxChunks != 1 {
		t.Fatalf("%v rtx %d", descAll(out), a.Stats.RtxChunks)
	}
	s, _ := wire.ParseSCTP(out[0])
	c, _ := s.FirstChunk()
	if c.Type() != wire.ChunkData || wire.DataChunk(c).TSN() != first {
		t.Fatalf("retransmitted %v", descAll(out))
	}
}

// 6.3.3: T3-rtx expiry doubles the RTO, collapses cwnd to one MTU and
// retransmits; Karn's rule (6.3.1 C5) keeps the retransmitted chunk's
// acknowledgement out of the RTT estimate.
func TestT3BackoffKarn(t *testing.T) {
	p, a, _ := establishedPair(t, 74)
	a.Send(0, 0, 0, 0, []byte("lost"))
	take(p.a)
	rto := a.RTO()
	p.now = a.Deadline()
	p.a.HandleTimeout(p.now)
	if a.RTO() != 2*rto || a.Stats.T3Expiries != 1 {
		t.Fatalf("RTO %v after expiry, was %v", a.RTO(), rto)
	}
	if a.cwnd() != a.paths[0].mtu-20 {
		t.Fatalf("cwnd %d after T3", a.cwnd())
	}
	p.run(p.now + 500e6) // retransmission delivered, delayed SACK back
	if a.fl.outstanding() != 0 || a.Stats.RtxChunks != 1 {
		t.Fatalf("outstanding %d, rtx %d", a.fl.outstanding(), a.Stats.RtxChunks)
	}
	if a.RTO() != 2*rto {
		t.Fatalf("RTO %v changed by an ambiguous sample", a.RTO())
	}
}

// Nagle: with data outstanding, small messages wait until a full chunk's
// worth is queued; NoDelay sends them at once.
func TestNagle(t *testing.T) {
	for _, noDelay := range []bool{false, true} {
		p, a, _ := establishedPair(t, 75)
		a.cfg.NoDelay = noDelay
		a.Send(0, 0, 0, 0, []byte("first"))
		if len(take(p.a)) != 1 {
			t.Fatal("first message held")
		}
		a.Send(0, 0, 0, 0, []byte("second"))
		n := len(take(p.a))
		if noDelay && n != 1 || !noDelay && n != 0 {
			t.Fatalf("NoDelay %v: %d packets", noDelay, n)
		}
	}
}

// 6.1 A: the sender never exceeds the peer's window, except one chunk
// probing a zero window.
func TestPeerWindow(t *testing.T) {
	p, a, _ := establishedPair(t, 76)
	a.cfg.NoDelay = true
	a.fl.peerRwnd = 0
	a.Send(0, 0, 0, 0, make([]byte, 500))
	a.Send(0, 0, 0, 0, make([]byte, 500))
	out := take(p.a)
	if len(out) != 1 || a.fl.outstanding() != 1 {
		t.Fatalf("zero window: %v", descAll(out))
	}
	if out := take(p.a); len(out) != 0 {
		t.Fatal("second chunk into a zero window")
	}
}

// 5.1 D: DATA queued before the handshake rides with the COOKIE ECHO and
// is delivered by the passive side's new association.
func TestDataWithCookieEcho(t *testing.T) {
	p := newPair(t, 77)
	a, err := p.a.Connect(0, []netip.Addr{addrB}, portB)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Send(0, 0, 5, 0, []byte("early")); err != nil {
		t.Fatal(err)
	}
	p.flush()
	var ce string
	for _, s := range p.trace {
		if len(s) >= 11 && s[:11] == "COOKIE ECHO" {
			ce = s
		}
	}
	if ce != "COOKIE ECHO,DATA" {
		t.Fatalf("trace %v", p.trace)
	}
	b := p.b.Assocs()[0]
	buf := make([]byte, 100)
	n, info, ok := b.Recv(buf)
	if !ok || string(buf[:n]) != "early" || info.PPID != 5 {
		t.Fatalf("%q %+v %v", buf[:n], info, ok)
	}
}

// Autoclose: an idle association shuts down after Config.AutoClose.
func TestAutoClose(t *testing.T) {
	p, a, _ := establishedPair(t, 78)
	a.cfg.AutoClose = 10 * time.Second
	a.Send(p.now, 0, 0, 0, []byte("x"))
	p.run(5e9)
	if a.State() != Established {
		t.Fatalf("closed early: %v", a.State())
	}
	p.run(30e9)
	if a.State() != Closed {
		t.Fatalf("state %v after idle", a.State())
	}
	a.cfg.AutoClose = 0
}
