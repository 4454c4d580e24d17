package assoc

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/sctp-xdp/sctp-xdp/wire"
)

// recvAll reads every ready message of a.
func recvAll(a *Assoc) (msgs [][]byte, infos []RecvInfo) {
	buf := make([]byte, 1<<17)
	for {
		n, info, ok := a.Recv(buf)
		if !ok {
			return
		}
		if !info.EOR {
			panic("message longer than the test buffer")
		}
		msgs = append(msgs, append([]byte(nil), buf[:n]...))
		infos = append(infos, info)
	}
}

func msg(i, n int) []byte {
	b := make([]byte, n)
	for j := range b {
		b[j] = byte(i*7 + j)
	}
	return b
}

// RFC 9260 6: messages of every size, fragmented to the path MTU (6.9) and
// reassembled, ordered per stream (6.5), arrive whole and in order.
func TestDataTransfer(t *testing.T) {
	p, a, b := establishedPair(t, 50)
	sizes := []int{1, 100, 1452, 1453, 4000, 65536, 7}
	for i, n := range sizes {
		if err := a.Send(p.now, uint16(i%3), uint32(i), 0, msg(i, n)); err != nil {
			t.Fatal(err)
		}
	}
	p.run(p.now + 60e9)
	got, infos := recvAll(b)
	if len(got) != len(sizes) {
		t.Fatalf("%d messages, want %d; trace %v", len(got), len(sizes), p.trace)
	}
	// Per stream, in Send order.
	next := map[uint16]int{}
	for k, info := range infos {
		i := int(info.PPID)
		if !bytes.Equal(got[k], msg(i, sizes[i])) {
			t.Fatalf("message %d corrupt", i)
		}
		if info.Stream != uint16(i%3) || int(info.SSN) != next[info.Stream] {
			t.Fatalf("message %d: stream %d SSN %d, want %d", i, info.Stream, info.SSN, next[info.Stream])
		}
		next[info.Stream]++
	}
	for _, pkt := range p.captured {
		if len(pkt) > 1500-20 {
			t.Fatalf("packet of %d bytes exceeds the PMTU", len(pkt))
		}
	}
	if a.Stats.DataSentOrdered == 0 || b.Stats.DataRecvOrdered != a.Stats.DataSentOrdered ||
		b.Stats.SacksSent == 0 || a.Stats.SacksReceived != b.Stats.SacksSent {
		t.Fatalf("stats A %+v B %+v", a.Stats, b.Stats)
	}
	if a.Buffered() != 0 || a.fl.outstanding() != 0 {
		t.Fatalf("send buffer %d, outstanding %d after all acked", a.Buffered(), a.fl.outstanding())
	}
}

// A message longer than the reader's buffer comes in pieces, EOR on the last.
func TestRecvPartialReads(t *testing.T) {
	p, a, b := establishedPair(t, 51)
	want := msg(1, 5000)
	if err := a.Send(p.now, 0, 9, SendUnordered, want); err != nil {
		t.Fatal(err)
	}
	p.run(p.now + 10e9)
	var got []byte
	buf := make([]byte, 1000)
	for {
		n, info, ok := b.Recv(buf)
		if !ok {
			t.Fatal("message ended early")
		}
		if !info.Unordered || info.PPID != 9 {
			t.Fatalf("%+v", info)
		}
		got = append(got, buf[:n]...)
		if info.EOR {
			break
		}
	}
	if !bytes.Equal(got, want) {
		t.Fatal("content differs")
	}
}

// Send errors: stream range, empty, too big without fragmentation, back
// pressure; and states.
func TestSendErrors(t *testing.T) {
	p, a, _ := establishedPair(t, 52)
	os, _ := a.Streams()
	if err := a.Send(0, os, 0, 0, []byte("x")); err != ErrStream {
		t.Fatalf("stream %d: %v", os, err)
	}
	if err := a.Send(0, 0, 0, 0, nil); err != ErrMessageSize {
		t.Fatalf("empty: %v", err)
	}
	a.cfg.DisableFragments = true // shared config: a test-only switch
	err := a.Send(0, 0, 0, 0, make([]byte, 2000))
	a.cfg.DisableFragments = false
	if err != ErrMessageSize {
		t.Fatalf("DisableFragments: %v", err)
	}
	big := make([]byte, 64<<10)
	n := 0
	for ; n < 100; n++ {
		if err := a.Send(0, 0, 0, 0, big); err != nil {
			if err != ErrWouldBlock {
				t.Fatal(err)
			}
			break
		}
	}
	if n != DefaultSendBuffer/len(big) {
		t.Fatalf("%d messages of 64 KiB accepted into a 1 MiB buffer", n)
	}
	if err := a.Shutdown(0); err != nil {
		t.Fatal(err)
	}
	if a.State() != ShutdownPending {
		t.Fatalf("state %v with data queued", a.State())
	}
	if err := a.Send(0, 0, 0, 0, []byte("x")); err != ErrState {
		t.Fatalf("after Shutdown: %v", err)
	}
	_ = p
}

// 9.2: SHUTDOWN waits until every queued message is acknowledged; nothing
// is lost.
func TestShutdownWaitsForData(t *testing.T) {
	p, a, b := establishedPair(t, 53)
	const N = 300
	for i := 0; i < N; i++ {
		if err := a.Send(p.now, 0, uint32(i), 0, msg(i, 1000)); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Shutdown(p.now); err != nil {
		t.Fatal(err)
	}
	for _, s := range descAll(take(p.a)) {
		if s == "SHUTDOWN" {
			t.Fatal("SHUTDOWN before the data")
		}
	}
	// take() drained the first packets: they are lost; retransmission
	// recovers them.
	var got int
	for i := 0; i < 200 && a.State() != Closed; i++ {
		p.run(p.now + 1e9)
		m, _ := recvAll(b)
		got += len(m)
		p.now += 1e9
		p.a.HandleTimeout(p.now)
		p.b.HandleTimeout(p.now)
	}
	if got != N || a.State() != Closed || b.State() != Closed {
		t.Fatalf("%d of %d messages, states %v %v", got, N, a.State(), b.State())
	}
	if a.Stats.RtxChunks == 0 {
		t.Fatal("no retransmission after a loss")
	}
}

// 9.2: the SHUTDOWN receiver sends what it has queued before SHUTDOWN ACK.
func TestShutdownReceivedDrains(t *testing.T) {
	p, a, b := establishedPair(t, 54)
	for i := 0; i < 50; i++ {
		if err := b.Send(p.now, 1, uint32(i), 0, msg(i, 3000)); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Shutdown(p.now); err != nil {
		t.Fatal(err)
	}
	var got int
	for i := 0; i < 100 && a.State() != Closed; i++ {
		p.run(p.now + 1e9)
		m, _ := recvAll(a)
		got += len(m)
	}
	if got != 50 || a.State() != Closed || b.State() != Closed {
		t.Fatalf("%d of 50, states %v %v; %v", got, a.State(), b.State(), p.trace[:min(len(p.trace), 40)])
	}
}

// 6.2.1, RFC 5062: a SACK acknowledging a TSN never sent aborts with
// Protocol Violation.
func TestSackForUnsentTSN(t *testing.T) {
	for _, gap := range []bool{false, true} {
		t.Run(fmt.Sprint("gap=", gap), func(t *testing.T) {
			p, a, _ := establishedPair(t, 55)
			cum := a.localTSN + 5
			var gaps []wire.GapBlock
			if gap {
				cum = a.localTSN - 1
				gaps = []wire.GapBlock{{Start: 2, End: 3}}
			}
			p.a.Receive(0, PacketInfo{Src: addrB, Dst: addrA}, build(portB, portA, a.LocalTag(), func(w *wire.Builder) {
				w.Sack(cum, 1<<20, gaps, nil)
			}))
			out := take(p.a)
			if a.State() != Closed || len(out) != 1 {
				t.Fatalf("state %v, out %v", a.State(), descAll(out))
			}
			s, _ := wire.ParseSCTP(out[0])
			c, _ := s.FirstChunk()
			ci := wire.Causes(c.Value())
			cause, _ := ci.Next()
			if c.Type() != wire.ChunkAbort || cause.Code() != wire.CauseProtocolViolation {
				t.Fatalf("%v", descAll(out))
			}
		})
	}
}

// 6.2, 6.7: gap blocks and duplicate TSNs in the SACK; an immediate SACK on
// a gap; the map reports the right blocks.
func TestSackGapsAndDups(t *testing.T) {
	p, _, b := establishedPair(t, 56)
	t0 := b.peerTSN
	data := func(tsns ...uint32) []byte {
		return build(portA, portB, b.LocalTag(), func(w *wire.Builder) {
			for _, tsn := range tsns {
				w.Data(3, tsn, 0, uint16(tsn-t0), 0, []byte("x"))
			}
		})
	}
	pi := PacketInfo{Src: addrA, Dst: addrB}
	p.b.Receive(0, pi, data(t0))
	if out := take(p.b); len(out) != 0 {
		t.Fatalf("first packet SACKed at once: %v", descAll(out)) // delayed SACK
	}
	p.b.Receive(0, pi, data(t0+2, t0+3, t0+5, t0))
	out := take(p.b)
	if len(out) != 1 {
		t.Fatalf("%v", descAll(out))
	}
	s, _ := wire.ParseSCTP(out[0])
	c, _ := s.FirstChunk()
	sk := wire.SackChunk(c)
	if c.Type() != wire.ChunkSack || sk.CumTSNAck() != t0 || sk.NumGapBlocks() != 2 ||
		sk.GapBlock(0) != (wire.GapBlock{Start: 2, End: 3}) || sk.GapBlock(1) != (wire.GapBlock{Start: 5, End: 5}) ||
		sk.NumDupTSNs() != 1 || sk.DupTSN(0) != t0 {
		t.Fatalf("SACK cum %d (want %d) gaps %d dups %d", sk.CumTSNAck()-t0, 0, sk.NumGapBlocks(), sk.NumDupTSNs())
	}
	if b.Stats.OutOfSeqTSNs != 3 || b.Stats.DupChunksReceived != 1 {
		t.Fatalf("%+v", b.Stats)
	}
	// Filling the hole delivers in SSN order.
	p.b.Receive(0, pi, data(t0+1, t0+4))
	_, infos := recvAll(b)
	if len(infos) != 6 {
		t.Fatalf("%d delivered", len(infos))
	}
	for i, in := range infos {
		if in.SSN != uint16(i) {
			t.Fatalf("order %v", infos)
		}
	}
}

// Far TSNs are dropped; DATA on a stream beyond MIS gets an ERROR (6.5).
func TestDataBounds(t *testing.T) {
	p, _, b := establishedPair(t, 57)
	pi := PacketInfo{Src: addrA, Dst: addrB}
	p.b.Receive(0, pi, build(portA, portB, b.LocalTag(), func(w *wire.Builder) {
		w.Data(3, b.peerTSN+tsnWindow+10, 0, 0, 0, []byte("far"))
		w.Data(3, b.peerTSN, 5000, 0, 0, []byte("bad stream"))
	}))
	if b.Stats.DataDropped != 1 || b.tsns.cum != b.peerTSN {
		t.Fatalf("%+v cum %d", b.Stats, b.tsns.cum-b.peerTSN)
	}
	out := descAll(take(p.b))
	if len(out) != 1 || out[0] != "ERROR,SACK" {
		t.Fatalf("%v", out)
	}
	if _, _, ok := b.Recv(make([]byte, 100)); ok {
		t.Fatal("delivered data of an invalid stream")
	}
}

// The stream scheduler takes turns per message: a message queued on
// stream 1 after two large ones on stream 0 leaves between them, and each
// message's fragments keep consecutive TSNs (6.9).
func TestStreamRoundRobin(t *testing.T) {
	p, a, b := establishedPair(t, 58)
	a.Send(0, 0, 1, 0, make([]byte, 5000))
	a.Send(0, 0, 2, 0, make([]byte, 5000))
	a.Send(0, 1, 3, 0, []byte("small"))
	p.run(10e9)
	var order []uint32
	for _, c := range dataChunks(t, p.captured) {
		if c.B() {
			order = append(order, c.PPID())
		}
	}
	if fmt.Sprint(order) != "[1 3 2]" {
		t.Fatalf("message order on the wire %v", order)
	}
	_, infos := recvAll(b)
	if len(infos) != 3 {
		t.Fatalf("%d delivered", len(infos))
	}
	if err := a.checkInvariants(); err != nil || a.Buffered() != 0 {
		t.Fatalf("%v, %d buffered", err, a.Buffered())
	}
}
