package assoc

import (
	"net/netip"
	"testing"
	"time"

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
	ea, _ := NewEndpoint(ca, testKeys("a"), 0)
	eb, _ := NewEndpoint(cb, testKeys("b"), 0)
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

// ackRecorder is a congestion controller that sums the bytes reported
// acknowledged.
type ackRecorder struct {
	CongestionControl
	acked int
}

func (r *ackRecorder) OnAck(now int64, acked, flightBefore int, cumAdvanced bool) {
	r.acked += acked
	r.CongestionControl.OnAck(now, acked, flightBefore, cumAdvanced)
}

// dataTSNs lists the TSNs of the DATA chunks in pkts.
func dataTSNs(t *testing.T, pkts [][]byte) []uint32 {
	var tsns []uint32
	for _, c := range dataChunks(t, pkts) {
		tsns = append(tsns, c.TSN())
	}
	return tsns
}

// Gap-acked chunks the receiver later leaves out (reneging, 6.2.1 D) are
// unacknowledged again: back in flight with a miss indication, T3-rtx
// running, and retransmitted when it expires; their bytes count once
// towards cwnd however often they are gap-acked. A chunk beyond the last
// reported block (a truncated gap list) is not reneged.
func TestRenege(t *testing.T) {
	p, a, _ := establishedPair(t, 104)
	a.cfg.NoDelay = true
	rec := &ackRecorder{CongestionControl: a.paths[0].cc}
	a.paths[0].cc = rec
	for i := 0; i < 3; i++ {
		a.Send(0, 0, 0, 0, make([]byte, 1000))
	}
	take(p.a)
	first := a.fl.cumAck + 1
	total := 0
	for i := a.fl.head; i < len(a.fl.list); i++ {
		total += a.fl.list[i].n
	}
	sack := func(cum uint32, gaps []wire.GapBlock) {
		t.Helper()
		p.a.Receive(0, PacketInfo{Src: addrB, Dst: addrA}, build(portB, portA, a.LocalTag(), func(w *wire.Builder) {
			w.Sack(cum, 1<<20, gaps, nil)
		}))
		if err := a.checkInvariants(); err != nil {
			t.Fatal(err)
		}
	}
	sack(first-1, []wire.GapBlock{{Start: 2, End: 3}})
	if a.fl.nGapAckd != 2 {
		t.Fatalf("gap-acked %d", a.fl.nGapAckd)
	}
	sack(first-1, []wire.GapBlock{{Start: 2, End: 2}}) // truncated: first+2 kept
	if a.fl.nGapAckd != 2 || !a.fl.at(first+2).acked {
		t.Fatalf("gap-acked %d after a truncated list", a.fl.nGapAckd)
	}
	// first+1 reneged. The SACK acknowledges nothing new (no HTNA), as a
	// stale SACK overtaken by reordering would not: no miss indication.
	sack(first-1, []wire.GapBlock{{Start: 3, End: 3}})
	if c := a.fl.at(first + 1); c.acked || !c.inFlight || c.miss != 0 || a.fl.nGapAckd != 1 {
		t.Fatalf("reneged chunk: acked %v in flight %v miss %d", c.acked, c.inFlight, c.miss)
	}
	sack(first-1, []wire.GapBlock{{Start: 2, End: 3}}) // gap-acked again
	sack(first+2, nil)
	if rec.acked != total {
		t.Fatalf("%d bytes reported acked, %d sent", rec.acked, total)
	}

	// Without any block left, every gap-acked chunk is reneged and goes
	// out again when T3-rtx expires.
	for i := 0; i < 3; i++ {
		a.Send(0, 0, 0, 0, make([]byte, 1000))
	}
	take(p.a)
	first = a.fl.cumAck + 1
	sack(first-1, []wire.GapBlock{{Start: 2, End: 3}})
	a.t3.stop()
	sack(first-1, nil)
	if a.fl.nGapAckd != 0 || a.t3.at == 0 {
		t.Fatalf("gap-acked %d after renege, T3 %d", a.fl.nGapAckd, a.t3.at)
	}
	p.a.HandleTimeout(a.t3.at)
	got := dataTSNs(t, take(p.a)) // cwnd is one MTU now: first and first+1
	if len(got) < 2 || got[1] != first+1 {
		t.Fatalf("reneged TSN first+1 not retransmitted: %v (first %d)", got, first)
	}
	if c := a.fl.at(first + 2); !c.retx && c.sends < 2 {
		t.Fatal("reneged TSN first+2 not marked for retransmission")
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

// Tiny in-order messages a reader never reads: the payload window alone
// would let a peer make us hold a window's worth of 1-byte chunks, each
// costing a 64-byte buffer and its record, far more than the window in
// memory. Held memory stays within memFactor windows, at its real cost.
func TestReceiveMemoryTinyChunks(t *testing.T) {
	p, _, b := establishedPair(t, 110)
	pi := PacketInfo{Src: addrA, Dst: addrB}
	one := []byte{7}
	const n = 60000
	for i := 0; i < n; i += 100 {
		p.b.Receive(0, pi, build(portA, portB, b.LocalTag(), func(w *wire.Builder) {
			for k := 0; k < 100; k++ {
				w.Data(3, b.peerTSN+uint32(i+k), 0, uint16(i+k), 0, one) // whole messages, in order
			}
		}))
		take(p.b)
	}
	limit := memFactor * int(DefaultARwnd)
	if b.rq.memBytes > limit || b.Stats.DataDropped == 0 {
		t.Fatalf("held %d bytes of memory (limit %d) for %d bytes of payload; dropped %d",
			b.rq.memBytes, limit, b.rq.readyBytes, b.Stats.DataDropped)
	}
	if b.rq.memBytes < limit/2 {
		t.Fatalf("held only %d bytes: the cap bit far too early", b.rq.memBytes)
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

// A SACK of many overlapping gap blocks costs about one pass over the
// outstanding chunks, not one per block, and acks correctly.
func TestSackOverlappingBlocks(t *testing.T) {
	p, a, _ := establishedPair(t, 108)
	const n = 60000
	base := a.localTSN
	for i := uint32(0); i < n; i++ {
		a.fl.push(outChunk{tsn: base + i, n: 1, sends: 1, inFlight: true})
		a.fl.flight++
	}
	a.localTSN += n
	gaps := make([]wire.GapBlock, 16000)
	for i := range gaps {
		gaps[i] = wire.GapBlock{Start: 2, End: n}
	}
	gaps[len(gaps)-1] = wire.GapBlock{Start: 2, End: 2}
	pkt := build(portB, portA, a.LocalTag(), func(w *wire.Builder) { w.Sack(base-1, 1<<20, gaps, nil) })
	start := time.Now()
	p.a.Receive(0, PacketInfo{Src: addrB, Dst: addrA}, pkt)
	if d := time.Since(start); d > time.Second {
		t.Fatalf("SACK of %d blocks over %d chunks took %v", len(gaps), n, d)
	}
	if a.State() != Established || a.fl.nGapAckd != n-1 || a.fl.at(base).acked || a.fl.flight != 1 {
		t.Fatalf("gap-acked %d, flight %d", a.fl.nGapAckd, a.fl.flight)
	}
	if err := a.checkInvariants(); err != nil {
		t.Fatal(err)
	}
}

// A peer's ERROR chunks cannot grow the event queue without bound.
func TestRemoteErrorEventsBounded(t *testing.T) {
	p, _, b := establishedPair(t, 111)
	pi := PacketInfo{Src: addrA, Dst: addrB}
	for i := 0; i < 1000; i++ {
		p.b.Receive(0, pi, build(portA, portB, b.LocalTag(), func(w *wire.Builder) {
			w.BeginError()
			w.Cause(wire.CauseOutOfResource, nil)
			w.End()
		}))
	}
	if n := b.events.len(); n > maxQueuedEvents || b.Stats.EventsDropped == 0 {
		t.Fatalf("%d events queued, %d dropped", n, b.Stats.EventsDropped)
	}
}
