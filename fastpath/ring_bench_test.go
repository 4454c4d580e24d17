package fastpath

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

const benchRingSize = 1024

// share splits n items among p producers.
func share(n, p, i int) int {
	s := n / p
	if i == 0 {
		s += n % p
	}
	return s
}

// spscThroughput moves n items from p producers, each with its own SPSC
// ring, to one consumer sleeping on a shared Waiter. batch 1 uses Push and
// Pop; larger batches PushBatch and PopBatch.
func spscThroughput(n, p, batch int) {
	w := NewWaiter(nil)
	rings := make([]*SPSC[uint64], p)
	for i := range rings {
		rings[i], _ = NewSPSC[uint64](benchRingSize, w)
	}
	var wg sync.WaitGroup
	for i, r := range rings {
		wg.Go(func() {
			m := share(n, p, i)
			if batch == 1 {
				for j := range m {
					for !r.Push(uint64(j)) {
						runtime.Gosched()
					}
				}
				return
			}
			src := make([]uint64, batch)
			for j := 0; j < m; {
				k := r.PushBatch(src[:min(batch, m-j)])
				if k == 0 {
					runtime.Gosched()
				}
				j += k
			}
		})
	}
	dst := make([]uint64, max(batch, 64))
	idle := 0
	for got := 0; got < n; {
		k := 0
		for _, r := range rings {
			if batch == 1 {
				if _, ok := r.Pop(); ok {
					k++
				}
			} else {
				k += r.PopBatch(dst[:batch])
			}
		}
		got += k
		if k != 0 {
			idle = 0
		} else if idle++; idle > waitSpins {
			w.Prepare()
			empty := true
			for _, r := range rings {
				empty = empty && r.Empty()
			}
			if empty {
				w.Block(nil)
			} else {
				w.Cancel()
			}
		}
	}
	wg.Wait()
}

// mpscThroughput moves n items from p producers through one MPSC ring; the
// consumer pops batches of up to 64 and sleeps in Wait.
func mpscThroughput(n, p int) {
	r, _ := NewMPSC[uint64](benchRingSize, nil)
	var wg sync.WaitGroup
	for i := range p {
		wg.Go(func() {
			for j := range share(n, p, i) {
				for !r.Push(uint64(j)) {
					runtime.Gosched()
				}
			}
		})
	}
	dst := make([]uint64, 64)
	for got := 0; got < n; {
		r.Wait(nil)
		got += r.PopBatch(dst)
	}
	wg.Wait()
}

// chanThroughput is the baseline: a buffered channel of the same capacity.
func chanThroughput(n, p int) {
	ch := make(chan uint64, benchRingSize)
	var wg sync.WaitGroup
	for i := range p {
		wg.Go(func() {
			for j := range share(n, p, i) {
				ch <- uint64(j)
			}
		})
	}
	for range n {
		<-ch
	}
	wg.Wait()
}

// BenchmarkRings measures ring throughput against a buffered channel in the
// same run: "items/s" is the ring's, "chan-items/s" the channel's with the
// same number of producers, and "ring/chan" their ratio (above 1: the ring
// is faster). The 4-producer SPSC case is 4 rings into one consumer, the
// way a poller drains one ring per peer.
func BenchmarkRings(b *testing.B) {
	for _, c := range []struct {
		name string
		p    int
		run  func(n int)
	}{
		{"SPSC/1p/single", 1, func(n int) { spscThroughput(n, 1, 1) }},
		{"SPSC/1p/batch64", 1, func(n int) { spscThroughput(n, 1, 64) }},
		{"SPSC/4p/batch64", 4, func(n int) { spscThroughput(n, 4, 64) }},
		{"MPSC/1p", 1, func(n int) { mpscThroughput(n, 1) }},
		{"MPSC/4p", 4, func(n int) { mpscThroughput(n, 4) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			t0 := time.Now()
			c.run(b.N)
			t1 := time.Now()
			chanThroughput(b.N, c.p)
			t2 := time.Now()
			rs, cs := t1.Sub(t0).Seconds(), t2.Sub(t1).Seconds()
			n := float64(b.N)
			b.ReportMetric(rs*1e9/n, "ns/op")
			b.ReportMetric(n/rs, "items/s")
			b.ReportMetric(n/cs, "chan-items/s")
			b.ReportMetric(cs/rs, "ring/chan")
		})
	}
}

// BenchmarkRingsUncontended is the cost of one push and one pop on the same
// goroutine (no cache-line transfer, no scheduling): ns/op is the ring's,
// "chan-ns/op" a buffered channel's send and receive in the same run.
func BenchmarkRingsUncontended(b *testing.B) {
	chanOps := func(n int) {
		ch := make(chan uint64, benchRingSize)
		for i := range n {
			ch <- uint64(i)
			<-ch
		}
	}
	for _, c := range []struct {
		name string
		run  func(n int)
	}{
		{"SPSC", func(n int) {
			r, _ := NewSPSC[uint64](benchRingSize, nil)
			for i := range n {
				r.Push(uint64(i))
				r.Pop()
			}
		}},
		{"SPSC/batch64", func(n int) {
			r, _ := NewSPSC[uint64](benchRingSize, nil)
			buf := make([]uint64, 64)
			for i := 0; i < n; i += 64 {
				r.PushBatch(buf)
				r.PopBatch(buf)
			}
		}},
		{"MPSC", func(n int) {
			r, _ := NewMPSC[uint64](benchRingSize, nil)
			for i := range n {
				r.Push(uint64(i))
				r.Pop()
			}
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			t0 := time.Now()
			c.run(b.N)
			t1 := time.Now()
			chanOps(b.N)
			t2 := time.Now()
			rs, cs := t1.Sub(t0).Seconds(), t2.Sub(t1).Seconds()
			n := float64(b.N)
			b.ReportMetric(rs*1e9/n, "ns/op")
			b.ReportMetric(cs*1e9/n, "chan-ns/op")
			b.ReportMetric(cs/rs, "ring/chan")
		})
	}
}
