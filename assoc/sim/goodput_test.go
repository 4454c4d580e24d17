package sim

import (
	"testing"
	"time"

	"github.com/sctp-xdp/sctp-xdp/assoc"
)

// bulk moves total bytes A → B over a 1 MiB/s path with 15 ms one-way
// delay and the given loss, and gives the goodput in bytes/s.
func bulk(t *testing.T, seed uint64, loss float64, total int) (float64, assoc.Stats) {
	n := New(seed)
	n.TraceLines = 2000
	n.SetBothImpairment(ipA, ipB, Impairment{Loss: loss, Delay: 15 * time.Millisecond, Bandwidth: 1 << 20})
	a, _ := n.AddHost("A", assoc.Config{LocalPort: portA}, ipA)
	b, _ := n.AddHost("B", assoc.Config{LocalPort: portB}, ipB)
	w := &world{t: t, n: n, a: a, b: b}
	w.handshake()
	const size = 1400
	msg := make([]byte, size)
	sent, got := 0, 0
	buf := make([]byte, 2*size)
	a.App = func(x *assoc.Assoc) {
		for sent < total && x.Send(n.Now(), 0, 0, 0, msg) == nil {
			sent += size
		}
	}
	b.App = func(x *assoc.Assoc) {
		for {
			k, _, ok := x.Recv(buf)
			if !ok {
				return
			}
			got += k
		}
	}
	start := n.Now()
	if !n.RunUntil(start+30*minute, func() bool { return got >= total }) {
		t.Fatalf("loss %v: %d of %d bytes", loss, got, total)
	}
	return float64(got) / (float64(n.Now()-start) / 1e9), a.Assoc().Stats
}

// RFC 9260 7.2: with a bandwidth-delay product of about 21 packets
// (1 MiB/s × 30 ms RTT ≈ 31 KB, 1500-byte packets), goodput under 1 %
// random loss (each direction) is at least half the lossless goodput.
// Measured (5 seeds, 3 MiB each): lossless 965 kB/s (the link carries
// 1007 kB/s of 1400-byte messages), 1 % loss 566 kB/s: ratio 0.59, every
// loss repaired by fast retransmit (no T3 expiry).
func TestGoodputUnderLoss(t *testing.T) {
	const total = 3 << 20
	var clean, lossy float64
	var rtx uint64
	const seeds = 5
	for s := uint64(1); s <= seeds; s++ {
		g0, _ := bulk(t, s, 0, total)
		g1, st := bulk(t, s, 0.01, total)
		clean += g0 / seeds
		lossy += g1 / seeds
		rtx += st.RtxChunks
		t.Logf("seed %d: %.0f vs %.0f B/s, T3 %d, fast %d, rtx %d", s, g0, g1, st.T3Expiries, st.FastRetransmits, st.RtxChunks)
	}
	ratio := lossy / clean
	t.Logf("goodput lossless %.0f B/s, 1%% loss %.0f B/s, ratio %.2f, %d retransmissions", clean, lossy, ratio, rtx)
	if clean < 0.8*(1<<20)*1400/1500 {
		t.Errorf("lossless goodput %.0f B/s: the path is not filled", clean)
	}
	if ratio < 0.5 {
		t.Errorf("goodput ratio %.2f under 1%% loss, want >= 0.5", ratio)
	}
}
