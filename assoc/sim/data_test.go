package sim

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/sctp-xdp/sctp-xdp/assoc"
)

// app is a test application on one host: it offers its messages to Send
// (retrying on back-pressure), reads with Recv, and checks what arrives.
type app struct {
	t       *testing.T
	out     []appMsg // to send, in order
	sent    int
	got     map[uint32]int // PPID (message index of the peer) → deliveries
	nextSSN map[uint16]uint32
	lastOrd map[uint16]int // per stream, index of the last ordered message read
	peer    *app
	nRead   int
	buf     []byte
	// readEvery, if set, makes a slow reader: at most one message per
	// readEvery of virtual time.
	readEvery int64
	lastRead  int64
	net       *Net
	partial   []byte // pieces of a partially delivered message
	pieces    int    // reads that returned part of a message
	// hold, if set, keeps messages from index hold on back until cleared.
	hold int
}

type appMsg struct {
	stream uint16
	flags  assoc.SendFlags
	data   []byte
}

func payload(seed uint64, i, n int) []byte {
	b := make([]byte, n)
	for j := range b {
		b[j] = byte(uint64(i)*31 + uint64(j)*7 + seed)
	}
	return b
}

func newApp(t *testing.T, n *Net, rng *rand.Rand, seed uint64, count, maxSize int, streams uint16) *app {
	ap := &app{t: t, got: map[uint32]int{}, lastOrd: map[uint16]int{}, buf: make([]byte, 1<<17), net: n}
	for i := 0; i < count; i++ {
		m := appMsg{stream: uint16(rng.IntN(int(streams))), data: payload(seed, i, 1+rng.IntN(maxSize))}
		if rng.IntN(4) == 0 {
			m.flags = assoc.SendUnordered
		}
		ap.out = append(ap.out, m)
	}
	return ap
}

func (ap *app) run(a *assoc.Assoc) {
	for ap.sent < len(ap.out) && (ap.hold == 0 || ap.sent < ap.hold) {
		m := ap.out[ap.sent]
		if err := a.Send(ap.net.Now(), m.stream, uint32(ap.sent), m.flags, m.data); err != nil {
			if err != assoc.ErrWouldBlock && err != assoc.ErrState {
				ap.t.Errorf("Send: %v", err)
			}
			break
		}
		ap.sent++
	}
	for {
		if ap.readEvery > 0 && ap.net.Now() < ap.lastRead+ap.readEvery {
			// Come back later: a deadline of our own.
			return
		}
		n, info, ok := a.Recv(ap.buf)
		if !ok {
			return
		}
		ap.lastRead = ap.net.Now()
		ap.partial = append(ap.partial, ap.buf[:n]...)
		if !info.EOR {
			ap.pieces++ // partial delivery: the rest follows
			continue
		}
		ap.check(ap.partial, info)
		ap.partial = ap.partial[:0]
	}
}

func (ap *app) check(data []byte, info assoc.RecvInfo) {
	t := ap.t
	n := len(data)
	i := int(info.PPID)
	if i >= len(ap.peer.out) {
		t.Fatalf("unknown message %d", i)
	}
	m := ap.peer.out[i]
	if !bytes.Equal(data, m.data) {
		t.Fatalf("message %d: content differs (%d bytes, want %d)", i, n, len(m.data))
	}
	if info.Stream != m.stream || info.Unordered != (m.flags&assoc.SendUnordered != 0) {
		t.Fatalf("message %d: stream %d unordered %v", i, info.Stream, info.Unordered)
	}
	ap.got[info.PPID]++
	if ap.got[info.PPID] > 1 {
		t.Fatalf("message %d delivered twice", i)
	}
	if !info.Unordered {
		if last, ok := ap.lastOrd[m.stream]; ok && last > i {
			t.Fatalf("stream %d: message %d after %d", m.stream, i, last)
		}
		ap.lastOrd[m.stream] = i
	}
	ap.nRead++
}

func (ap *app) done() bool { return ap.nRead == len(ap.peer.out) }

// pairApps connects A to B and gives each an app sending count messages.
func (w *world) pairApps(seed uint64, count, maxSize int) (*app, *app) {
	rng := rand.New(rand.NewPCG(seed, 77))
	x := newApp(w.t, w.n, rng, seed, count, maxSize, 10)
	y := newApp(w.t, w.n, rng, seed+1, count, maxSize, 10)
	x.peer, y.peer = y, x
	w.a.App, w.b.App = x.run, y.run
	return x, y
}

// RFC 9260 6 (ETSI TS 102 369 group DT, data transfer): under 0-20 % loss
// with duplication, reordering, jitter and a bandwidth limit, both ways at
// once, every message arrives exactly once, byte for byte, in order on
// ordered streams; whenever a DATA packet was lost, retransmissions
// happened; and the association closes gracefully afterwards with nothing
// lost.
func TestDataExactlyOnce(t *testing.T) {
	forSeeds(t, func(t *testing.T, seed uint64, loss int) {
		w := newWorld(t, seed, loss, false)
		w.handshake()
		x, y := w.pairApps(seed, 60, 4000)
		if !w.n.RunUntil(w.n.Now()+30*minute, func() bool { return x.done() && y.done() }) {
			t.Fatalf("delivered %d/%d and %d/%d", x.nRead, len(y.out), y.nRead, len(x.out))
		}
		sa, sb := w.a.Assoc().Stats, w.b.Assoc().Stats
		if w.n.LostData > 0 && sa.RtxChunks+sb.RtxChunks == 0 {
			t.Fatalf("%d DATA packets lost, no retransmission", w.n.LostData)
		}
		if err := w.a.Assoc().Shutdown(w.n.Now()); err != nil {
			t.Fatal(err)
		}
		if !w.n.RunUntil(w.n.Now()+10*minute, func() bool { return len(w.a.EP.Assocs()) == 0 && len(w.b.EP.Assocs()) == 0 }) {
			t.Fatal("shutdown did not finish")
		}
		if !w.a.Has(assoc.EventShutdownComp) || !w.b.Has(assoc.EventShutdownComp) {
			t.Fatal("no SHUTDOWN_COMP")
		}
	})
}

// RFC 9260 9.2: Shutdown right after Send while the peer sends too:
// SHUTDOWN-PENDING holds the SHUTDOWN back until everything is
// acknowledged, the peer (SHUTDOWN-RECEIVED) sends what it had queued
// before its SHUTDOWN ACK, and every message accepted by Send on either
// side arrives, under loss.
func TestShutdownAfterSendLoss(t *testing.T) {
	forSeeds(t, func(t *testing.T, seed uint64, loss int) {
		w := newWorld(t, seed, loss, false)
		w.handshake()
		x, y := w.pairApps(seed, 40, 3000)
		w.n.drain() // both queue what fits
		if err := w.a.Assoc().Shutdown(w.n.Now()); err != nil {
			t.Fatal(err)
		}
		if !w.n.RunUntil(w.n.Now()+30*minute, func() bool { return len(w.a.EP.Assocs()) == 0 && len(w.b.EP.Assocs()) == 0 }) {
			t.Fatal("shutdown did not finish")
		}
		if x.sent != len(x.out) || y.nRead != x.sent || x.nRead != y.sent || y.sent == 0 {
			t.Fatalf("A sent %d of %d, B read %d; B sent %d, A read %d", x.sent, len(x.out), y.nRead, y.sent, x.nRead)
		}
	})
}

// RFC 9260 6.1 A, 6.2: a slow reader closes the window; the sender probes
// the zero window and the transfer finishes (no deadlock), with a small
// receive buffer (4000 bytes) and messages up to 6000 bytes, which need
// partial delivery (RFC 6458 8.1.21).
func TestZeroWindowSlowReader(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		loss := int(seed % 6)
		t.Run(fmt.Sprintf("seed=%d/loss=%d", seed, loss), func(t *testing.T) {
			n := New(seed)
			n.SetBothImpairment(ipA, ipB, Impairment{Loss: float64(loss) / 100, Delay: 10 * time.Millisecond, Bandwidth: 1 << 20})
			a, _ := n.AddHost("A", assoc.Config{LocalPort: portA}, ipA)
			b, _ := n.AddHost("B", assoc.Config{LocalPort: portB, ARwnd: 4000}, ipB)
			w := &world{t: t, n: n, a: a, b: b}
			w.handshake()
			x, y := w.pairApps(seed, 80, 6000)
			y.out = nil
			y.readEvery = int64(100 * time.Millisecond)
			// The reader needs a clock tick: read on a schedule.
			var tick func()
			tick = func() { n.At(n.Now()+int64(50*time.Millisecond), tick) }
			tick()
			if !n.RunUntil(n.Now()+30*minute, func() bool { return y.done() }) {
				t.Fatalf("delivered %d of %d; rwnd stuck?", y.nRead, len(x.out))
			}
			if b.Assoc().Stats.DataDropped == 0 || y.pieces == 0 {
				t.Errorf("the window never overflowed (%d drops) or no partial delivery (%d pieces)",
					b.Assoc().Stats.DataDropped, y.pieces)
			}
		})
	}
}

// RFC 9260 8.1: with the peer gone, T3-rtx backs off and after
// Association.Max.Retrans the association fails with COMM_LOST (time-out).
func TestDataPeerUnreachable(t *testing.T) {
	w := newWorld(t, 3, 0, false)
	w.handshake()
	a := w.a.Assoc()
	w.n.Blackhole(w.n.Now(), ipA, ipB, true)
	if err := a.Send(w.n.Now(), 0, 1, 0, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	start := w.n.Now()
	if !w.n.RunUntil(start+60*minute, func() bool { return w.a.Has(assoc.EventCommLost) }) {
		t.Fatal("no COMM_LOST")
	}
	var ev HostEvent
	for _, e := range w.a.Events {
		if e.Type == assoc.EventCommLost {
			ev = e
		}
	}
	if !ev.TimedOut || a.State() != assoc.Closed {
		t.Fatalf("%+v", ev)
	}
	// 1+2+4+...: RTO doubles up to RTO.Max (60 s): 11 expiries of T3.
	took := time.Duration(ev.At - start)
	if a.Stats.RtxChunks != uint64(assoc.DefaultAssocMaxRetrans) || took < 5*time.Minute {
		t.Fatalf("%d retransmissions in %v", a.Stats.RtxChunks, took)
	}
	t.Logf("COMM_LOST after %v, %d retransmissions, max RTO %v", took, a.Stats.RtxChunks, time.Duration(a.Stats.MaxRTO))
}

// RFC 9260 5.1 D: messages sent right after Connect travel with the COOKIE
// ECHO (and after it); under loss every message still arrives exactly
// once, including when the COOKIE ECHO with DATA is lost or duplicated.
func TestDataDuringHandshakeLoss(t *testing.T) {
	forSeeds(t, func(t *testing.T, seed uint64, loss int) {
		w := newWorld(t, seed, loss, false)
		x, y := w.pairApps(seed, 20, 2000)
		y.out = nil
		if _, err := w.a.Connect(portB, ipB); err != nil {
			t.Fatal(err)
		}
		if !w.n.RunUntil(w.n.Now()+30*minute, func() bool { return y.done() }) {
			t.Fatalf("delivered %d of %d", y.nRead, len(x.out))
		}
		w.n.Run(w.n.Now() + int64(10*time.Second))
		w.checkPair()
	})
}
