package sim

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/sctp-xdp/sctp-xdp/assoc"
)

var (
	ipA = netip.MustParseAddr("198.18.0.1")
	ipB = netip.MustParseAddr("198.18.1.1")
)

const portA, portB = 5000, 6000

const seeds = 200

// world is two hosts A and B over a path with loss (percent).
type world struct {
	t    *testing.T
	n    *Net
	a, b *Host
}

func newWorld(t *testing.T, seed uint64, lossPct int, noRetx bool) *world {
	t.Helper()
	n := New(seed)
	imp := Impairment{
		Loss: float64(lossPct) / 100, Delay: 20 * time.Millisecond, Jitter: 5 * time.Millisecond,
		Duplicate: 0.02, Reorder: 0.05, Bandwidth: 1 << 20,
	}
	n.SetBothImpairment(ipA, ipB, imp)
	a, err := n.AddHost("A", assoc.Config{LocalPort: portA, NoRetransmit: noRetx}, ipA)
	if err != nil {
		t.Fatal(err)
	}
	b, err := n.AddHost("B", assoc.Config{LocalPort: portB, NoRetransmit: noRetx}, ipB)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, n: n, a: a, b: b}
	t.Cleanup(func() {
		totalLost += n.Lost
		if t.Failed() {
			t.Logf("seed %d, loss %d%%, trace:\n%s", seed, lossPct, n.Trace())
		}
	})
	return w
}

// forSeeds runs f for seeds 1..seeds with loss cycling over 0..20 %, and
// checks that packets were really lost along the way.
func forSeeds(t *testing.T, f func(t *testing.T, seed uint64, loss int)) {
	lostBefore := totalLost
	for s := uint64(1); s <= seeds; s++ {
		loss := int(s % 21)
		t.Run(fmt.Sprintf("seed=%d/loss=%d", s, loss), func(t *testing.T) { f(t, s, loss) })
	}
	if lost := totalLost - lostBefore; lost < seeds/4 {
		t.Errorf("only %d packets lost over %d seeds", lost, seeds)
	} else {
		t.Logf("%d packets lost over %d seeds", lost, seeds)
	}
}

var totalLost int

const minute = int64(time.Minute)

func established(hs ...*Host) func() bool {
	return func() bool {
		for _, h := range hs {
			if a := h.Assoc(); a == nil || a.State() != assoc.Established {
				return false
			}
		}
		return true
	}
}

func (w *world) handshake() {
	w.t.Helper()
	if _, err := w.a.Connect(portB, ipB); err != nil {
		w.t.Fatal(err)
	}
	if !w.n.RunUntil(10*minute, established(w.a, w.b)) {
		w.t.Fatal("handshake did not complete")
	}
	// Settle: retransmitted COOKIE ECHOs and duplicates drain.
	w.n.Run(w.n.Now() + 5*int64(time.Second))
	w.checkPair()
}

// checkPair asserts both sides are one association with crossed tags.
func (w *world) checkPair() {
	w.t.Helper()
	a, b := w.a.Assoc(), w.b.Assoc()
	if a == nil || b == nil {
		w.t.Fatalf("want one association each, have %d and %d", len(w.a.EP.Assocs()), len(w.b.EP.Assocs()))
	}
	if a.State() != assoc.Established || b.State() != assoc.Established {
		w.t.Fatalf("states %v, %v", a.State(), b.State())
	}
	if a.PeerTag() != b.LocalTag() || b.PeerTag() != a.LocalTag() {
		w.t.Fatalf("tags do not cross: A %08x/%08x B %08x/%08x", a.LocalTag(), a.PeerTag(), b.LocalTag(), b.PeerTag())
	}
}

// RFC 9260 5.1 (ETSI TS 102 369 group AS: association set-up; exact test
// purpose identifiers not available here): the four-way handshake completes
// under 0-20 % loss, duplication and reordering.
func TestHandshakeLoss(t *testing.T) {
	forSeeds(t, func(t *testing.T, seed uint64, loss int) {
		w := newWorld(t, seed, loss, false)
		w.handshake()
		if w.a.Count(assoc.EventCommUp) != 1 || w.b.Count(assoc.EventCommUp) != 1 {
			t.Fatalf("COMM_UP counts %d, %d", w.a.Count(assoc.EventCommUp), w.b.Count(assoc.EventCommUp))
		}
	})
}

// RFC 9260 5.2.1 and 5.2.4 cases B and D: both sides open at once.
func TestCollisionLoss(t *testing.T) {
	forSeeds(t, func(t *testing.T, seed uint64, loss int) {
		w := newWorld(t, seed, loss, false)
		skew := int64(seed%7) * int64(3*time.Millisecond)
		w.n.At(0, func() {
			if _, err := w.a.Connect(portB, ipB); err != nil {
				t.Error(err)
			}
		})
		w.n.At(skew, func() {
			if _, err := w.b.Connect(portA, ipA); err != nil {
				t.Error(err)
			}
		})
		if !w.n.RunUntil(10*minute, established(w.a, w.b)) {
			t.Fatal("collision did not resolve")
		}
		w.n.Run(w.n.Now() + 10*int64(time.Second))
		w.checkPair()
		if w.a.Count(assoc.EventCommUp) != 1 || w.b.Count(assoc.EventCommUp) != 1 {
			t.Fatalf("COMM_UP counts %d, %d", w.a.Count(assoc.EventCommUp), w.b.Count(assoc.EventCommUp))
		}
	})
}

// RFC 9260 5.2.2 and 5.2.4 case A: the peer restarts and opens again; the
// survivor reports RESTART and keeps one association.
func TestRestartLoss(t *testing.T) {
	forSeeds(t, func(t *testing.T, seed uint64, loss int) {
		w := newWorld(t, seed, loss, false)
		w.handshake()
		oldTag := w.b.Assoc().LocalTag()
		if err := w.a.Restart(); err != nil {
			t.Fatal(err)
		}
		if _, err := w.a.Connect(portB, ipB); err != nil {
			t.Fatal(err)
		}
		if !w.n.RunUntil(w.n.Now()+10*minute, func() bool { return w.b.Has(assoc.EventRestart) && established(w.a, w.b)() }) {
			t.Fatal("restart not seen")
		}
		w.n.Run(w.n.Now() + 10*int64(time.Second))
		w.checkPair()
		if w.b.Assoc().LocalTag() == oldTag {
			t.Fatal("restart kept the old tag")
		}
		if w.b.Count(assoc.EventRestart) != 1 {
			t.Fatalf("%d RESTART events", w.b.Count(assoc.EventRestart))
		}
	})
}

// RFC 9260 9.2 (ETSI group AT: association termination): graceful
// shutdown from either side under loss.
func TestShutdownLoss(t *testing.T) {
	for _, side := range []string{"A", "B"} {
		t.Run(side, func(t *testing.T) {
			forSeeds(t, func(t *testing.T, seed uint64, loss int) {
				w := newWorld(t, seed, loss, false)
				w.handshake()
				h := w.a
				if side == "B" {
					h = w.b
				}
				if err := h.Assoc().Shutdown(w.n.Now()); err != nil {
					t.Fatal(err)
				}
				done := func() bool { return len(w.a.EP.Assocs()) == 0 && len(w.b.EP.Assocs()) == 0 }
				if !w.n.RunUntil(w.n.Now()+10*minute, done) {
					t.Fatal("shutdown did not finish")
				}
				for _, x := range []*Host{w.a, w.b} {
					if !x.Has(assoc.EventShutdownComp) {
						t.Fatalf("%s: no SHUTDOWN_COMP (events %v)", x.Name, x.Events)
					}
				}
				peer := w.b
				if side == "B" {
					peer = w.a
				}
				if !peer.Has(assoc.EventShutdown) {
					t.Fatalf("%s: no SHUTDOWN_EVENT", peer.Name)
				}
			})
		})
	}
}

// RFC 9260 9.1: ABORT with a cause reaches the peer as COMM_LOST.
func TestAbort(t *testing.T) {
	for s := uint64(1); s <= 20; s++ {
		w := newWorld(t, s, 0, false)
		w.handshake()
		if err := w.a.Assoc().Abort(w.n.Now(), []byte("bye")); err != nil {
			t.Fatal(err)
		}
		w.n.Run(w.n.Now() + int64(time.Second))
		var got *HostEvent
		for i := range w.b.Events {
			if w.b.Events[i].Type == assoc.EventCommLost {
				got = &w.b.Events[i]
			}
		}
		if got == nil || got.Cause != 12 || len(w.b.EP.Assocs()) != 0 {
			t.Fatalf("seed %d: B events %v", s, w.b.Events)
		}
	}
}

// RFC 9260 8.4 step 8 and 8.5.1 B: after a lost ABORT, the survivor's next
// packet is answered out of the blue with ABORT (T bit), which it accepts.
func TestLostAbortThenOOTB(t *testing.T) {
	w := newWorld(t, 7, 0, false)
	w.handshake()
	w.n.Blackhole(w.n.Now(), ipA, ipB, true)
	if err := w.a.Assoc().Abort(w.n.Now(), nil); err != nil {
		t.Fatal(err)
	}
	w.n.Run(w.n.Now() + int64(time.Second))
	w.n.Blackhole(w.n.Now(), ipA, ipB, false)
	w.n.Run(w.n.Now() + 1)
	if err := w.b.Assoc().Shutdown(w.n.Now()); err != nil {
		t.Fatal(err)
	}
	w.n.Run(w.n.Now() + 5*int64(time.Second))
	if !w.b.Has(assoc.EventCommLost) || len(w.b.EP.Assocs()) != 0 {
		t.Fatalf("B events %v", w.b.Events)
	}
}

// A black hole shorter than the T1 back-off delays the handshake; one
// longer than Max.Init.Retransmits fails it with CANT_STR_ASSOC (RFC 9260
// 5.1, 6.3.3).
func TestBlackhole(t *testing.T) {
	w := newWorld(t, 3, 0, false)
	w.n.Blackhole(0, ipA, ipB, true)
	w.n.Blackhole(5*int64(time.Second), ipA, ipB, false)
	if _, err := w.a.Connect(portB, ipB); err != nil {
		t.Fatal(err)
	}
	if !w.n.RunUntil(minute, established(w.a, w.b)) {
		t.Fatal("no handshake after the black hole ended")
	}
	if w.n.Now() < 5*int64(time.Second) {
		t.Fatal("handshake crossed a black hole")
	}

	w = newWorld(t, 4, 0, false)
	w.n.Blackhole(0, ipA, ipB, true)
	if _, err := w.a.Connect(portB, ipB); err != nil {
		t.Fatal(err)
	}
	w.n.Run(30 * minute)
	if !w.a.Has(assoc.EventCantStrAssoc) || len(w.a.EP.Assocs()) != 0 {
		t.Fatalf("A events %v", w.a.Events)
	}
	// 1 INIT + 8 retransmissions (Max.Init.Retransmits).
	if w.n.Sent != 9 {
		t.Fatalf("%d INITs sent, want 9", w.n.Sent)
	}
}

// The same runs without retransmissions must fail for some seeds: proof
// that the simulated loss is real.
func TestNoRetransmitFails(t *testing.T) {
	for _, name := range []string{"handshake", "collision", "restart", "shutdown"} {
		failed, lossy := 0, 0
		for s := uint64(1); s <= seeds; s++ {
			loss := int(s % 21)
			if loss < 10 {
				continue
			}
			lossy++
			n := New(s)
			n.SetBothImpairment(ipA, ipB, Impairment{Loss: float64(loss) / 100, Delay: 20 * time.Millisecond})
			a, _ := n.AddHost("A", assoc.Config{LocalPort: portA, NoRetransmit: true}, ipA)
			b, _ := n.AddHost("B", assoc.Config{LocalPort: portB, NoRetransmit: true}, ipB)
			ok := false
			switch name {
			case "handshake":
				a.Connect(portB, ipB)
				ok = n.RunUntil(10*minute, established(a, b))
			case "collision":
				a.Connect(portB, ipB)
				b.Connect(portA, ipA)
				ok = n.RunUntil(10*minute, established(a, b))
			case "restart":
				n.SetBothImpairment(ipA, ipB, Impairment{Delay: 20 * time.Millisecond})
				a.Connect(portB, ipB)
				if !n.RunUntil(minute, established(a, b)) {
					t.Fatal("lossless handshake failed")
				}
				n.SetBothImpairment(ipA, ipB, Impairment{Loss: float64(loss) / 100, Delay: 20 * time.Millisecond})
				a.Restart()
				a.Connect(portB, ipB)
				ok = n.RunUntil(n.Now()+10*minute, func() bool { return b.Has(assoc.EventRestart) && established(a, b)() })
			case "shutdown":
				n.SetBothImpairment(ipA, ipB, Impairment{Delay: 20 * time.Millisecond})
				a.Connect(portB, ipB)
				if !n.RunUntil(minute, established(a, b)) {
					t.Fatal("lossless handshake failed")
				}
				n.SetBothImpairment(ipA, ipB, Impairment{Loss: float64(loss) / 100, Delay: 20 * time.Millisecond})
				a.Assoc().Shutdown(n.Now())
				n.Run(n.Now() + 10*minute)
				ok = a.Has(assoc.EventShutdownComp) && b.Has(assoc.EventShutdownComp)
			}
			if !ok {
				failed++
			}
		}
		t.Logf("%s without retransmission: %d of %d lossy seeds failed", name, failed, lossy)
		if failed == 0 {
			t.Errorf("%s: no seed failed without retransmission: the loss is not real", name)
		}
	}
}

// Many hosts (IPv4 and IPv6) open associations to one server under loss:
// the endpoint demultiplexes them by peer address and port.
func TestManyHosts(t *testing.T) {
	for s := uint64(1); s <= 20; s++ {
		t.Run(fmt.Sprintf("seed=%d", s), func(t *testing.T) {
			n := New(s)
			n.Default = Impairment{Loss: 0.1, Delay: 5 * time.Millisecond, Jitter: 2 * time.Millisecond, Reorder: 0.1, Duplicate: 0.05}
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("seed %d trace:\n%s", s, n.Trace())
				}
			})
			srv4, srv6 := netip.MustParseAddr("198.18.9.9"), netip.MustParseAddr("2001:2::9")
			srv, err := n.AddHost("srv", assoc.Config{LocalPort: 9}, srv4, srv6)
			if err != nil {
				t.Fatal(err)
			}
			var clients []*Host
			for i := 0; i < 6; i++ {
				addr := netip.AddrFrom4([4]byte{198, 18, 2, byte(i + 1)})
				dst := srv4
				if i%2 == 1 {
					addr = netip.AddrFrom16([16]byte{0x20, 0x01, 0, 2, 15: byte(i + 1)})
					dst = srv6
				}
				c, err := n.AddHost(fmt.Sprint("c", i), assoc.Config{LocalPort: uint16(4000 + i%3)}, addr)
				if err != nil {
					t.Fatal(err)
				}
				clients = append(clients, c)
				n.At(int64(i)*int64(time.Millisecond), func() { c.Connect(9, dst) })
			}
			ok := n.RunUntil(10*minute, func() bool {
				if len(srv.EP.Assocs()) != len(clients) {
					return false
				}
				return established(clients...)()
			})
			if !ok {
				t.Fatalf("server has %d associations", len(srv.EP.Assocs()))
			}
			if srv.Count(assoc.EventCommUp) != len(clients) {
				t.Fatalf("%d COMM_UP", srv.Count(assoc.EventCommUp))
			}
		})
	}
}
