package sim

import (
	"fmt"
	"testing"
	"time"

	"github.com/sctp-xdp/sctp-xdp/assoc"
)

// RFC 8899 (SCTP probes of 6.2): a path that silently drops packets above
// 1300 bytes. Without probing, large messages never get through and the
// association fails; with PMTUProbe, DATA stays at confirmed sizes, the
// search settles just below 1300, and everything arrives, under loss.
func TestPLPMTUDBlackHole(t *testing.T) {
	run := func(t *testing.T, seed uint64, loss int, probe bool) (*world, *app, *app) {
		n := New(seed)
		n.TraceLines = 4000
		n.SetBothImpairment(ipA, ipB, Impairment{Loss: float64(loss) / 100, Delay: 10 * time.Millisecond, MTU: 1300})
		a, _ := n.AddHost("A", assoc.Config{LocalPort: portA, PMTUProbe: probe}, ipA)
		b, _ := n.AddHost("B", assoc.Config{LocalPort: portB, PMTUProbe: probe}, ipB)
		w := &world{t: t, n: n, a: a, b: b}
		w.handshake()
		x, y := w.pairApps(seed, 30, 5000)
		n.RunUntil(n.Now()+30*minute, func() bool { return x.done() && y.done() || len(a.EP.Assocs()) == 0 })
		return w, x, y
	}
	t.Run("without", func(t *testing.T) {
		w, x, _ := run(t, 1, 0, false)
		if x.done() || !w.a.Has(assoc.EventCommLost) && !w.b.Has(assoc.EventCommLost) {
			t.Fatalf("the black hole let everything through (%d read)", x.nRead)
		}
	})
	for seed := uint64(1); seed <= 20; seed++ {
		loss := int(seed % 6)
		t.Run(fmt.Sprintf("seed=%d/loss=%d", seed, loss), func(t *testing.T) {
			w, x, y := run(t, seed, loss, true)
			if !x.done() || !y.done() {
				t.Fatalf("delivered %d and %d of %d", x.nRead, y.nRead, len(x.out))
			}
			w.n.Run(w.n.Now() + 2*minute) // let the search finish
			for _, h := range []*Host{w.a, w.b} {
				if m := h.Assoc().PathMTU(); m > 1300 || m < 1300-32 {
					t.Fatalf("%s: PMTU %d, want just below 1300", h.Name, m)
				}
			}
		})
	}
}
