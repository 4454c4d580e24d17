package assoc

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

// flow is a one-way message stream between two engines in memory: A sends
// messages of one size on stream 0, B reads them; packets move at once, the
// virtual clock advances 10 µs per pump.
type flow struct {
	p         *pair
	a, b      *Assoc
	msg, rbuf []byte
	pkt       []byte
	got       int
}

func newFlow(t testing.TB, size int, noDelay bool) *flow {
	p, a, b := establishedPair(t, 60)
	a.cfg.NoDelay = noDelay // the pair's endpoints share nothing else
	return &flow{p: p, a: a, b: b, msg: bytes.Repeat([]byte{0xA5}, size),
		rbuf: make([]byte, size+1), pkt: make([]byte, 0, 2048)}
}

// send queues one message, pumping while the send buffer is full.
func (f *flow) send() {
	for f.a.Send(f.p.now, 0, 1, 0, f.msg) == ErrWouldBlock {
		f.pump()
	}
	f.pump()
}

func (f *flow) pump() {
	for moved := true; moved; {
		moved = false
		for _, e := range [2]*Endpoint{f.p.a, f.p.b} {
			for {
				pkt, _, ok := e.NextPacket(f.p.now, f.pkt[:0])
				if !ok {
					break
				}
				moved = true
				to, src, dst := f.p.other(e)
				to.Receive(f.p.now, PacketInfo{Src: src, Dst: dst, Size: len(pkt) + 20}, pkt)
			}
		}
		for {
			n, info, ok := f.b.Recv(f.rbuf)
			if !ok {
				break
			}
			if n != len(f.msg) || !info.EOR {
				panic("short message")
			}
			f.got++
		}
	}
	f.p.now += 10_000
	if d := f.p.a.Deadline(); d != 0 && d <= f.p.now {
		f.p.a.HandleTimeout(f.p.now)
	}
	if d := f.p.b.Deadline(); d != 0 && d <= f.p.now {
		f.p.b.HandleTimeout(f.p.now)
	}
}

// Steady state allocates nothing per message, either way (Send, packet
// building, parsing, SACK generation and processing, reassembly, Recv).
func TestAllocsDataSteadyState(t *testing.T) {
	for _, size := range []int{100, 3000, 64 << 10} {
		f := newFlow(t, size, false)
		for i := 0; i < 3000; i++ { // warm: buffers, queues and cwnd grow
			f.send()
		}
		if n := testing.AllocsPerRun(500, f.send); n != 0 {
			t.Errorf("%d-byte messages: %v allocations per message", size, n)
		}
		if f.got < 3000 {
			t.Errorf("%d-byte messages: only %d delivered", size, f.got)
		}
	}
}

// BenchmarkEngine: messages/s between two engines (one core, in memory,
// CRC32c both ways, delivery checked), for 100 B and 64 KiB messages. The
// baseline, measured in the same run, is copying the message twice (the
// floor: Send's copy into the send buffer and Recv's copy out); x-copy is
// the engine's cost per message in those units.
func BenchmarkEngine(b *testing.B) {
	for _, size := range []int{100, 64 << 10} {
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			f := newFlow(b, size, false)
			for i := 0; i < 2000; i++ {
				f.send()
			}
			dst := make([]byte, size)
			t0 := time.Now()
			const baseN = 2000
			for i := 0; i < baseN; i++ {
				copy(dst, f.msg)
				copy(f.msg, dst)
			}
			base := float64(time.Since(t0).Nanoseconds()) / baseN
			got := f.got
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				f.send()
			}
			el := b.Elapsed().Seconds()
			b.ReportMetric(float64(b.N)/el, "msg/s")
			b.ReportMetric(el*1e9/float64(b.N)/base, "x-copy")
			if f.got-got < b.N/2 {
				b.Fatalf("%d of %d delivered", f.got-got, b.N)
			}
		})
	}
}
