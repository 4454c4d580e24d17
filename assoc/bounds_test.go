package assoc

import (
	"net/netip"
	"testing"

	"github.com/sctp-xdp/sctp-xdp/wire"
)

// A packet full of HEARTBEATs gets at most maxCtrlReplies answers.
func TestControlRepliesBounded(t *testing.T) {
	p, _, b := establishedPair(t, 100)
	p.b.Receive(0, PacketInfo{Src: addrA, Dst: addrB}, build(portA, portB, b.LocalTag(), func(w *wire.Builder) {
		for i := 0; i < 40; i++ {
			w.Heartbeat([]byte{1, 2, 3, 4})
		}
	}))
	n := 0
	for _, d := range descAll(take(p.b)) {
		for _, c := range []byte(d) {
			if c == ',' {
				n++
			}
		}
		n++
	}
	if n != maxCtrlReplies || b.Stats.HeartbeatsAckd != maxCtrlReplies {
		t.Fatalf("%d answers", n)
	}
}

// Max.Burst (RFC 9260 6.1 D): however open cwnd is, one send opportunity
// emits at most Max.Burst packets of new DATA.
func TestMaxBurst(t *testing.T) {
	p, a, _ := establishedPair(t, 101)
	a.cfg.NoDelay = true
	a.paths[0].cc = NewRFC9260CC(1480, 1<<20)
	for i := 0; i < 30; i++ {
		a.paths[0].cc.OnAck(0, 1480, a.paths[0].cc.Window(), true) // grow cwnd
	}
	for i := 0; i < 20; i++ {
		a.Send(0, 0, 0, 0, make([]byte, 1400))
	}
	if n := len(take(p.a)); n != DefaultMaxBurst {
		t.Fatalf("%d packets in a burst (cwnd %d)", n, a.cwnd())
	}
}

// Stream counts (RFC 9260 5.1.1): OS = min(our OS, peer's MIS) and the
// inverse; Send refuses streams beyond.
func TestStreamNegotiation(t *testing.T) {
	ca, cb := testConfig(portA, 102), testConfig(portB, 103)
	ca.OutStreams, ca.MaxInStreams = 20, 7
	cb.OutStreams, cb.MaxInStreams = 9, 5
	ea, _ := NewEndpoint(ca, []byte("a"), 0)
	eb, _ := NewEndpoint(cb, []byte("b"), 0)
	p := &pair{t: t, a: ea, b: eb}
	a, err := ea.Connect(0, []netip.Addr{addrB}, portB)
	if err != nil {
		t.Fatal(err)
	}
	p.flush()
	b := eb.Assocs()[0]
	if o, i := a.Streams(); o != 5 || i != 7 {
		t.Fatalf("A: %d out, %d in", o, i)
	}
	if o, i := b.Streams(); o != 7 || i != 5 {
		t.Fatalf("B: %d out, %d in", o, i)
	}
	if a.Send(0, 5, 0, 0, []byte("x")) != ErrStream || a.Send(0, 4, 0, 0, []byte("x")) != nil {
		t.Fatal("stream limit")
	}
	p.flush()
	if _, info, ok := b.Recv(make([]byte, 10)); !ok || info.Stream != 4 {
		t.Fatalf("%+v %v", info, ok)
	}
}

// Gap-acked chunks the receiver later leaves out (reneging, 6.2.1) count
// as unacknowledged again and are retransmitted on T3.
func TestRenege(t *testing.T) {
	p, a, _ := establishedPair(t, 104)
	a.cfg.NoDelay = true
	for i := 0; i < 3; i++ {
		a.Send(0, 0, 0, 0, make([]byte, 1000))
	}
	take(p.a)
	first := a.fl.cumAck + 1
	sack := func(gaps []wire.GapBlock) {
		p.a.Receive(0, PacketInfo{Src: addrB, Dst: addrA}, build(portB, portA, a.LocalTag(), func(w *wire.Builder) {
			w.Sack(first-1, 1<<20, gaps, nil)
		}))
	}
	sack([]wire.GapBlock{{Start: 2, End: 3}})
	if a.fl.nGapAckd != 2 {
		t.Fatalf("gap-acked %d", a.fl.nGapAckd)
	}
	sack(nil)
	if a.fl.nGapAckd != 0 || a.t3.at == 0 {
		t.Fatalf("gap-acked %d after renege, T3 %d", a.fl.nGapAckd, a.t3.at)
	}
	if err := a.checkInvariants(); err != nil {
		t.Fatal(err)
	}
}

// GatherAndReset: counts since the previous call; Stats keeps growing.
func TestGatherAndReset(t *testing.T) {
	p, a, _ := establishedPair(t, 105)
	a.Send(0, 0, 0, 0, []byte("one"))
	p.run(10e9)
	g1 := a.GatherAndReset()
	if g1.DataSentOrdered != 1 || g1.MaxRTO < int64(DefaultRTOMin) {
		t.Fatalf("%+v", g1)
	}
	a.Send(p.now, 0, 0, 0, []byte("two"))
	a.Send(p.now, 0, 0, 0, []byte("three"))
	p.run(p.now + 10e9)
	g2 := a.GatherAndReset()
	if g2.DataSentOrdered != 2 || a.Stats.DataSentOrdered != 3 || g2.SacksReceived == 0 {
		t.Fatalf("%+v / %+v", g2, a.Stats)
	}
	if g3 := a.GatherAndReset(); g3.DataSentOrdered != 0 || g3.SacksReceived != 0 || g3.MaxRTO != a.RTO() {
		t.Fatalf("%+v", g3)
	}
}

// A peer skipping an SSN makes its later messages undeliverable: the
// receiver's memory stays within twice its window however many arrive in
// TSN order.
func TestReceiveMemoryBound(t *testing.T) {
	p, _, b := establishedPair(t, 106)
	pi := PacketInfo{Src: addrA, Dst: addrB}
	payload := make([]byte, 1200)
	for i := 0; i < 2000; i++ {
		p.b.Receive(0, pi, build(portA, portB, b.LocalTag(), func(w *wire.Builder) {
			w.Data(3, b.peerTSN+uint32(i), 0, uint16(i+1), 0, payload) // SSN 0 never comes
		}))
		take(p.b)
	}
	if held := b.rq.pendBytes + b.rq.readyBytes; held > 2*int(DefaultARwnd) || b.Stats.DataDropped == 0 {
		t.Fatalf("held %d bytes, dropped %d", held, b.Stats.DataDropped)
	}
	if err := b.checkInvariants(); err != nil {
		t.Fatal(err)
	}
}

// RFC 9260 7.2.4: HTNA is the highest TSN newly acknowledged, whatever the
// order of the gap blocks: every TSN missing below it gets a miss
// indication.
func TestHTNAOutOfOrderBlocks(t *testing.T) {
	p, a, _ := establishedPair(t, 107)
	a.cfg.NoDelay = true
	a.paths[0].cc = NewRFC9260CC(1480, 1<<20)
	for i := 0; i < 6; i++ {
		a.Send(0, 0, 0, 0, make([]byte, 500))
	}
	take(p.a)
	first := a.fl.cumAck + 1
	if a.fl.outstanding() != 6 {
		t.Fatalf("%d outstanding", a.fl.outstanding())
	}
	p.a.Receive(0, PacketInfo{Src: addrB, Dst: addrA}, build(portB, portA, a.LocalTag(), func(w *wire.Builder) {
		w.Sack(first-1, 1<<20, []wire.GapBlock{{Start: 6, End: 6}, {Start: 3, End: 3}}, nil)
	}))
	for _, tsn := range []uint32{first, first + 1, first + 3, first + 4} {
		if m := a.fl.at(tsn).miss; m != 1 {
			t.Fatalf("TSN first+%d: %d miss indications, want 1", tsn-first, m)
		}
	}
}
