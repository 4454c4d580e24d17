package bench

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sctp-xdp/sctp-xdp/fastpath"
	"github.com/sctp-xdp/sctp-xdp/xdp"
)

// The poller's cost per packet (receive → validate L2/L3/SCTP → CRC32c →
// route → handler → release) against the raw receive loop of our socket
// (receive → no-op → refill), on the same socket and queue, alternating in
// the same run. Issue target: at most 2x.

// countHandler counts packets and does nothing else.
type countHandler struct{ n int }

func (h *countHandler) HandlePacket(c *fastpath.Ctx, p *fastpath.Packet) { h.n++ }
func (h *countHandler) HandleICMP(c *fastpath.Ctx, m *fastpath.ICMP)     {}
func (h *countHandler) HandleControl(c *fastpath.Ctx, msg any)           {}
func (h *countHandler) HandleTimer(c *fastpath.Ctx, t *fastpath.Timer)   {}
func (h *countHandler) Flush(c *fastpath.Ctx)                            {}

type pollerBench struct {
	*rxBench
	poller *fastpath.Poller
	h      *countHandler
}

func newPollerBench(b *testing.B) *pollerBench {
	r := newRXBench(b)
	link, err := fastpath.NewXSKLink(r.s, 64)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { link.Close() })
	h := &countHandler{}
	g, err := fastpath.NewGroup(fastpath.GroupConfig{Pollers: []fastpath.PollerConfig{{Link: link, Handler: h}}})
	if err != nil {
		b.Fatal(err)
	}
	return &pollerBench{rxBench: r, poller: g.Pollers()[0], h: h}
}

// pollerLoop is the poller's batch loop, blocking in poll(2) when idle as
// the raw loop does.
func (pb *pollerBench) loop() rxLoop {
	return func(want int, stop *atomic.Bool) (int, time.Duration) {
		pb.h.n = 0
		start := ThreadCPU()
		for pb.h.n < want && !stop.Load() {
			if pb.poller.Poll() == 0 {
				pb.s.Poll(5)
			}
		}
		return pb.h.n, ThreadCPU() - start
	}
}

// BenchmarkPollerReceiveCPU: 200 000 packets/s offered from the peer's
// namespace; thread CPU per packet of the poller and of the raw loop,
// medians over alternating rounds, and their ratio.
func BenchmarkPollerReceiveCPU(b *testing.B) {
	const (
		rate   = 200_000
		n      = 25_000
		rounds = 12
	)
	pb := newPollerBench(b)
	var poller, raw []float64
	var drops [2]int
	for round := 0; round < rounds; round++ {
		for i, loop := range []rxLoop{oursLoop(pb.s), pb.loop()} {
			if round%2 == 1 {
				i = 1 - i
				loop = []rxLoop{oursLoop(pb.s), pb.loop()}[i]
			}
			res := phase(b, pb.snd0, pb.frame, n, rate, loop)
			drops[i] += n - res.packets
			pp := float64(res.cpu.Nanoseconds()) / float64(max(res.packets, 1))
			if i == 0 {
				raw = append(raw, pp)
			} else {
				poller = append(poller, pp)
			}
		}
	}
	mp, mr := median(poller), median(raw)
	b.ReportMetric(mp, "cpu-ns/pkt-poller")
	b.ReportMetric(mr, "cpu-ns/pkt-raw")
	b.ReportMetric(mp/mr, "poller/raw")
	b.ReportMetric(float64(drops[1]), "lost-poller")
	b.ReportMetric(float64(drops[0]), "lost-raw")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkPollerDrainCPU isolates the loops from poll(2) wake-ups: the
// sender fills the RX ring first, then each loop drains it without a
// system call.
func BenchmarkPollerDrainCPU(b *testing.B) {
	const (
		n      = 8000
		rounds = 25
	)
	pb := newPollerBench(b)
	var poller, raw []float64
	var mallocs uint64
	descs := make([]xdp.Desc, 64)
	rawDrain := func() (int, time.Duration) { return drainRaw(pb.rxBench, descs, n) }
	pollerDrain := func() (int, time.Duration) {
		pb.h.n = 0
		start := ThreadCPU()
		for spins := 0; pb.h.n < n && spins < 1_000_000; spins++ {
			pb.poller.Poll()
		}
		return pb.h.n, ThreadCPU() - start
	}
	drain := func(loop func() (int, time.Duration)) float64 {
		pb.snd0.send(b, n, 0, func(i int, f []byte) int { return copy(f, pb.frame) })
		time.Sleep(20 * time.Millisecond) // let veth deliver the last frames
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		got, cpu := loop()
		if got != n {
			b.Fatalf("drained %d of %d", got, n)
		}
		return float64(cpu.Nanoseconds()) / n
	}
	for round := 0; round < rounds; round++ {
		raw = append(raw, drain(rawDrain))
		var ms0, ms1 runtime.MemStats
		runtime.ReadMemStats(&ms0)
		poller = append(poller, drain(pollerDrain))
		runtime.ReadMemStats(&ms1)
		mallocs += ms1.Mallocs - ms0.Mallocs
	}
	mp, mr := median(poller), median(raw)
	b.ReportMetric(mp, "cpu-ns/pkt-poller")
	b.ReportMetric(mr, "cpu-ns/pkt-raw")
	b.ReportMetric(mp/mr, "poller/raw")
	b.ReportMetric(float64(mallocs)/float64(rounds*n), "process-allocs/pkt-poller")
	b.ReportMetric(0, "ns/op")
}
