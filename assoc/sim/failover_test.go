package sim

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/sctp-xdp/sctp-xdp/assoc"
)

// Two networks: A's and B's first addresses share network 1 (the primary
// path), their second ones network 2 (srcFor pairs them).
var (
	ipA2 = netip.MustParseAddr("198.18.2.1")
	ipB2 = netip.MustParseAddr("198.18.3.1")
)

// Failover parameters: small RTOs keep the virtual times short.
const (
	foRTOMin  = 200 * time.Millisecond
	foRTOInit = 500 * time.Millisecond
	foRTOMax  = 2 * time.Second
	foPMR     = 3 // Path.Max.Retrans
	foHB      = 2 * time.Second
	foDelay   = 10 * time.Millisecond
	foJitter  = 2 * time.Millisecond
)

func foConfig(port uint16, pfmr int) assoc.Config {
	return assoc.Config{LocalPort: port, RTOMin: foRTOMin, RTOInitial: foRTOInit, RTOMax: foRTOMax,
		PathMaxRetrans: foPMR, PFMaxRetrans: pfmr, HBInterval: foHB}
}

// backedOff is the sum of the RTOs of k+1 consecutive timeouts starting
// from rto: rto + 2rto + 4rto ... each capped at RTO.Max (RFC 9260 6.3.3
// E2), the time Path.Max.Retrans+1 timeouts can take.
func backedOff(rto int64, k int) int64 {
	sum := int64(0)
	for i := 0; i <= k; i++ {
		sum += rto
		rto = min(2*rto, int64(foRTOMax))
	}
	return sum
}

func eventAt(h *Host, t assoc.EventType, addr netip.Addr, after int64) (int64, bool) {
	for _, e := range h.Events {
		if e.Type == t && e.Addr == addr && e.At >= after {
			return e.At, true
		}
	}
	return 0, false
}

func pathOf(t *testing.T, a *assoc.Assoc, addr netip.Addr) assoc.PathInfo {
	t.Helper()
	pi, ok := a.PathInfo(addr)
	if !ok {
		t.Fatalf("no path to %v", addr)
	}
	return pi
}

// RFC 9260 6.4, 6.4.1, 8.2, 8.3, 5.4 and RFC 7829: both hosts have two
// addresses; the second ones are confirmed by HEARTBEAT after the
// handshake. Network 1 (both primaries) turns into a black hole both ways
// in the middle of a two-way transfer: every message still arrives exactly
// once and in order; the primary is declared potentially failed within
// RTO + one-way delay (PF on the first timeout) or, with PF off, within
// the backed-off RTOs of Path.Max.Retrans+1 timeouts, and unreachable
// within those plus the delay either way. Network 1 comes back: a
// HEARTBEAT finds it within a few HB periods (RTO.Max·1.5 + HB.interval
// each), the primary is active again and new DATA takes it (switch-back).
func TestFailover(t *testing.T) {
	for _, pf := range []int{0, -1} {
		var st foStats
		for seed := uint64(1); seed <= 30; seed++ {
			loss := int(seed % 6)
			t.Run(fmt.Sprintf("pfmr=%d/seed=%d/loss=%d", pf, seed, loss), func(t *testing.T) {
				failover(t, seed, loss, pf, &st)
			})
		}
		t.Logf("PFMaxRetrans %d: potentially failed after %v, unreachable after %v, active again after %v (min-max over seeds and both sides)",
			pf, st.moved, st.unreachable, st.back)
	}
}

// foStats collects the measured times (min and max).
type foStats struct{ moved, unreachable, back span }

type span struct{ lo, hi time.Duration }

func (s *span) add(d int64) {
	if s.hi == 0 || time.Duration(d) < s.lo {
		s.lo = time.Duration(d)
	}
	s.hi = max(s.hi, time.Duration(d))
}

func (s span) String() string { return fmt.Sprintf("%v-%v", s.lo, s.hi) }

func failover(t *testing.T, seed uint64, loss, pfmr int, st *foStats) {
	n := New(seed)
	n.TraceLines = 3000
	imp := Impairment{Loss: float64(loss) / 100, Delay: foDelay, Jitter: foJitter}
	n.SetBothImpairment(ipA, ipB, imp)
	n.SetBothImpairment(ipA2, ipB2, imp)
	a, err := n.AddHost("A", foConfig(portA, pfmr), ipA, ipA2)
	if err != nil {
		t.Fatal(err)
	}
	b, err := n.AddHost("B", foConfig(portB, pfmr), ipB, ipB2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("trace:\n%s", n.Trace())
		}
	})
	w := &world{t: t, n: n, a: a, b: b}
	w.handshake() // A connects to ipB only: ipB2 is learned from the INIT ACK
	aa, ba := a.Assoc(), b.Assoc()
	// 5.4: the second addresses were unconfirmed, a HEARTBEAT confirmed
	// them; the primaries are the addresses of the handshake.
	for !(pathOf(t, aa, ipB2).State == assoc.PathActive && pathOf(t, ba, ipA2).State == assoc.PathActive) {
		if n.Now() > 2*minute {
			t.Fatalf("second addresses not confirmed: %v %v", pathOf(t, aa, ipB2), pathOf(t, ba, ipA2))
		}
		n.Run(n.Now() + int64(time.Second))
	}
	if !a.Has(assoc.EventAddrConfirmed) || !b.Has(assoc.EventAddrConfirmed) {
		t.Fatal("no ADDR_CONFIRMED")
	}
	if aa.Primary() != ipB || ba.Primary() != ipA {
		t.Fatalf("primaries %v %v", aa.Primary(), ba.Primary())
	}

	x, y := w.pairApps(seed, 1200, 3000)
	x.hold, y.hold = 900, 900 // the rest after the restore
	t0 := n.Now() + int64(time.Second)
	n.Blackhole(t0, ipA, ipB, true)
	n.Blackhole(t0, ipB, ipA, true)
	// The SACK that restarted T3-rtx last may still be on its way at t0.
	slack := int64(foDelay+foJitter) + 1
	// rto0: the largest RTO of each primary from RTO.Max before t0 (a
	// T3-rtx or HEARTBEAT timer running at t0 was started then) to t0+slack.
	var rto0A, rto0B int64
	for at := t0 - int64(foRTOMax); at <= t0+slack; at += int64(time.Millisecond) {
		n.At(at, func() {
			rto0A = max(rto0A, pathOf(t, aa, ipB).RTO)
			rto0B = max(rto0B, pathOf(t, ba, ipA).RTO)
		})
	}
	var stateA, stateB assoc.PathState
	var busyA, busyB bool
	n.At(t0, func() {
		stateA, stateB = pathOf(t, aa, ipB).State, pathOf(t, ba, ipA).State
		busyA, busyB = x.sent > x.peer.nRead, y.sent > y.peer.nRead
	})
	n.Run(t0)
	if x.nRead == 0 || y.nRead == 0 || x.done() || y.done() {
		t.Fatalf("not mid-transfer: %d, %d read", x.nRead, y.nRead)
	}
	n.RunUntil(t0+10*minute, func() bool {
		_, ua := eventAt(a, assoc.EventAddrUnreachable, ipB, t0)
		_, ub := eventAt(b, assoc.EventAddrUnreachable, ipA, t0)
		return ua && ub && x.nRead >= 900 && y.nRead >= 900
	})
	hb := int64(foHB)
	for _, c := range []struct {
		h     *Host
		peer  netip.Addr
		rto   int64
		state assoc.PathState
		busy  bool
	}{{a, ipB, rto0A, stateA, busyA}, {b, ipA, rto0B, stateB, busyB}} {
		// Each timeout backs the RTO off (6.3.3 E2, 8.3): rto[k] is the
		// RTO of the k-th timeout, capped at RTO.Max.
		rto := make([]int64, foPMR+1)
		rto[0] = c.rto
		for k := 1; k <= foPMR; k++ {
			rto[k] = min(2*rto[k-1], int64(foRTOMax))
		}
		// The first timeout: T3-rtx of DATA in flight at t0 within its RTO;
		// an idle path's HEARTBEAT within RTO·1.5 + HB.interval, answered
		// within one more RTO (8.3).
		first := rto[0] + slack
		if !c.busy {
			first = 5*rto[0]/2 + hb + slack
		}
		var bound int64
		if pfmr >= 0 && c.state == assoc.PathActive {
			at, ok := eventAt(c.h, assoc.EventAddrPotentiallyFailed, c.peer, t0)
			if !ok || at-t0 > first {
				t.Fatalf("%s: PF at %v after the black hole (ok %v), bound %v", c.h.Name,
					time.Duration(at-t0), ok, time.Duration(first))
			}
			st.moved.add(at - t0)
			// RFC 7829 5.1: a PF path gets a HEARTBEAT once per RTO.
			bound = first + backedOff(rto[1], foPMR-1)
		} else {
			// Plain RFC 9260: PMR+1 timeouts, each of T3-rtx of DATA
			// or of a HEARTBEAT an idle period apart.
			bound = first
			for k := 1; k <= foPMR; k++ {
				bound += 5*rto[k]/2 + hb + slack
			}
		}
		at, ok := eventAt(c.h, assoc.EventAddrUnreachable, c.peer, t0)
		if !ok || at-t0 > bound {
			t.Fatalf("%s: unreachable at %v after the black hole (ok %v), bound %v (rto0 %v busy %v state %v)", c.h.Name,
				time.Duration(at-t0), ok, time.Duration(bound), time.Duration(c.rto), c.busy, c.state)
		}
		if pi := pathOf(t, c.h.Assoc(), c.peer); pi.State != assoc.PathInactive || pi.Current {
			t.Fatalf("%s: primary %+v", c.h.Name, pi)
		}
		st.unreachable.add(at - t0)
	}
	if x.nRead < 900 || y.nRead < 900 {
		t.Fatalf("failover did not carry the transfer: %d, %d of 900", x.nRead, y.nRead)
	}

	// Restore network 1.
	t2 := n.Now() + int64(time.Second)
	n.Blackhole(t2, ipA, ipB, false)
	n.Blackhole(t2, ipB, ipA, false)
	period := 3*int64(foRTOMax)/2 + int64(foHB)
	n.RunUntil(t2+10*minute, func() bool {
		_, ua := eventAt(a, assoc.EventAddrAvailable, ipB, t2)
		_, ub := eventAt(b, assoc.EventAddrAvailable, ipA, t2)
		return ua && ub
	})
	for _, c := range []struct {
		h    *Host
		peer netip.Addr
	}{{a, ipB}, {b, ipA}} {
		at, ok := eventAt(c.h, assoc.EventAddrAvailable, c.peer, t2)
		if !ok || at-t2 > 5*period {
			t.Fatalf("%s: primary available again at %v (ok %v), bound 5 HB periods %v", c.h.Name,
				time.Duration(at-t2), ok, time.Duration(5*period))
		}
		if pi := pathOf(t, c.h.Assoc(), c.peer); pi.State != assoc.PathActive || !pi.Current {
			t.Fatalf("%s: no switch-back: %+v", c.h.Name, pi)
		}
		st.back.add(at - t2)
	}
	before := n.DataPackets(ipA, ipB)
	x.hold, y.hold = 0, 0
	if !n.RunUntil(n.Now()+10*minute, func() bool { return x.done() && y.done() }) {
		t.Fatalf("delivered %d and %d of %d", x.nRead, y.nRead, len(x.out))
	}
	if n.DataPackets(ipA, ipB) == before {
		t.Fatal("DATA did not return to the primary path")
	}
}

// RFC 9260 6.4: Connect with two peer addresses, the first one dead: the
// INIT (and COOKIE ECHO) retransmissions go to the second, the handshake
// completes, and DATA fails over to it.
func TestConnectAlternate(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		n := New(seed)
		imp := Impairment{Loss: float64(seed%4) / 100, Delay: foDelay}
		n.SetBothImpairment(ipA, ipB, imp)
		n.SetBothImpairment(ipA2, ipB2, imp)
		n.Blackhole(0, ipA, ipB, true)
		n.Blackhole(0, ipB, ipA, true)
		a, _ := n.AddHost("A", foConfig(portA, 0), ipA, ipA2)
		b, _ := n.AddHost("B", foConfig(portB, 0), ipB, ipB2)
		if _, err := a.Connect(portB, ipB, ipB2); err != nil {
			t.Fatal(err)
		}
		if !n.RunUntil(time.Minute.Nanoseconds(), established(a, b)) {
			t.Fatalf("seed %d: no association over the second network:\n%s", seed, n.Trace())
		}
		w := &world{t: t, n: n, a: a, b: b}
		x, y := w.pairApps(seed, 50, 2000)
		if !n.RunUntil(n.Now()+2*minute, func() bool { return x.done() && y.done() }) {
			t.Fatalf("seed %d: delivered %d and %d of 50", seed, x.nRead, y.nRead)
		}
	}
}
