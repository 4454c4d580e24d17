package fastpath

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestMPSCFullEmpty(t *testing.T) {
	r, _ := NewMPSC[int](4, nil)
	if _, ok := r.Pop(); ok || !r.Empty() || r.PopBatch(make([]int, 3)) != 0 {
		t.Fatal("empty ring returned an element")
	}
	for i := range 4 {
		if !r.Push(i) {
			t.Fatalf("push %d into a ring of 4 failed", i)
		}
	}
	if r.Push(9) || r.Len() != 4 {
		t.Fatal("full ring accepted an element")
	}
	if v, ok := r.Pop(); !ok || v != 0 {
		t.Fatalf("Pop = %d, %v", v, ok)
	}
	if !r.Push(4) || r.Push(5) {
		t.Fatal("one free slot")
	}
	dst := make([]int, 8)
	if n := r.PopBatch(dst); n != 4 || dst[0] != 1 || dst[3] != 4 {
		t.Fatalf("PopBatch = %d %v", n, dst[:n])
	}
	if r.PopBatch(nil) != 0 || r.Len() != 0 {
		t.Fatal("empty batch")
	}
	// Capacity 2, the minimum, over many laps.
	two, _ := NewMPSC[int](1, nil)
	for i := range 100 {
		if !two.Push(i) || !two.Push(i+1) || two.Push(-1) {
			t.Fatalf("lap %d: capacity 2", i)
		}
		if v, _ := two.Pop(); v != i {
			t.Fatalf("lap %d: got %d", i, v)
		}
		if v, _ := two.Pop(); v != i+1 {
			t.Fatalf("lap %d: got %d", i, v)
		}
	}
}

// TestMPSCWrapModel runs random pushes and pops across many laps of a small
// ring against a slice model.
func TestMPSCWrapModel(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 2))
		r, _ := NewMPSC[uint32](8, nil)
		var model []uint32
		next := uint32(0)
		dst := make([]uint32, 20)
		for range 5000 {
			switch rng.IntN(3) {
			case 0:
				ok := r.Push(next)
				if ok != (len(model) < 8) {
					t.Fatalf("Push ok=%v with %d queued", ok, len(model))
				}
				if ok {
					model = append(model, next)
					next++
				}
			case 1:
				v, ok := r.Pop()
				if ok != (len(model) > 0) || ok && v != model[0] {
					t.Fatalf("Pop = %d,%v; model %v", v, ok, model)
				}
				if ok {
					model = model[1:]
				}
			default:
				k := rng.IntN(len(dst) + 1)
				n := r.PopBatch(dst[:k])
				if n != min(k, len(model)) {
					t.Fatalf("PopBatch(%d) = %d with %d queued", k, n, len(model))
				}
				for i := range n {
					if dst[i] != model[i] {
						t.Fatalf("PopBatch got %v, model %v", dst[:n], model[:n])
					}
				}
				model = model[n:]
			}
			if r.Len() != len(model) {
				t.Fatalf("Len %d, model %d", r.Len(), len(model))
			}
		}
	}
}

func TestMPSCReleasesReferences(t *testing.T) {
	r, _ := NewMPSC[*int](4, nil)
	x := new(int)
	for range 3 {
		r.Push(x)
		r.Push(x)
		r.Push(x)
		r.Pop()
		r.PopBatch(make([]*int, 2))
	}
	for i := range r.cells {
		if r.cells[i].val != nil {
			t.Fatalf("cell %d still references a popped element", i)
		}
	}
}

// TestMPSCManyProducers: 8 producers push 100 000 items each through a small
// ring; every item must arrive exactly once and each producer's items in
// order. A full ring makes the producer count a drop and retry.
func TestMPSCManyProducers(t *testing.T) {
	const producers = 8
	perProducer := uint64(100_000)
	if testing.Short() {
		perProducer = 10_000
	}
	r, _ := NewMPSC[uint64](64, nil)
	var fullEvents atomic.Uint64
	watchdog(t, 120*time.Second, func() {
		var wg sync.WaitGroup
		for p := range uint64(producers) {
			wg.Go(func() {
				for i := range perProducer {
					for !r.Push(p<<32 | i) {
						fullEvents.Add(1)
						runtime.Gosched()
					}
				}
			})
		}
		var next [producers]uint64
		dst := make([]uint64, 48)
		rng := rand.New(rand.NewPCG(5, 6))
		for got := uint64(0); got < producers*perProducer; {
			r.Wait(nil)
			n := r.PopBatch(dst[:1+rng.IntN(len(dst))])
			for _, v := range dst[:n] {
				p, i := v>>32, v&(1<<32-1)
				if p >= producers || i != next[p] {
					t.Errorf("producer %d: got item %d, want %d", p, i, next[p%producers])
					return
				}
				next[p]++
			}
			got += uint64(n)
		}
		wg.Wait()
		if _, ok := r.Pop(); ok {
			t.Error("extra item after all were received")
		}
	})
	t.Logf("%d full-ring retries", fullEvents.Load())
}

// TestMPSCNoLostWakeup: several producers each send one item and wait for
// the consumer's answer, so the consumer sleeps and is woken over and over
// by different producers racing each other.
func TestMPSCNoLostWakeup(t *testing.T) {
	const producers = 4
	rounds := 20_000
	if testing.Short() {
		rounds = 2_000
	}
	in, _ := NewMPSC[int](8, nil)
	var acks [producers]*SPSC[int]
	for p := range acks {
		acks[p], _ = NewSPSC[int](1, nil)
	}
	watchdog(t, 60*time.Second, func() {
		var wg sync.WaitGroup
		for p := range producers {
			wg.Go(func() {
				for i := range rounds {
					for !in.Push(p<<24 | i) {
						runtime.Gosched()
					}
					acks[p].Wait(nil)
					if v, _ := acks[p].Pop(); v != i {
						t.Errorf("producer %d round %d: ack %d", p, i, v)
						return
					}
				}
			})
		}
		for range producers * rounds {
			in.Wait(nil)
			v, _ := in.Pop()
			for !acks[v>>24].Push(v & (1<<24 - 1)) {
				runtime.Gosched()
			}
		}
		wg.Wait()
	})
}

// TestSharedWaiter: one consumer sleeps on two rings sharing a Waiter.
func TestSharedWaiter(t *testing.T) {
	w := NewWaiter(nil)
	a, _ := NewMPSC[int](4, w)
	b, _ := NewSPSC[int](4, w)
	const n = 5_000
	watchdog(t, 60*time.Second, func() {
		var wg sync.WaitGroup
		wg.Go(func() {
			for i := range n {
				for !a.Push(i) {
					runtime.Gosched()
				}
			}
		})
		wg.Go(func() {
			for i := range n {
				for !b.Push(i) {
					runtime.Gosched()
				}
			}
		})
		got := 0
		for got < 2*n {
			if _, ok := a.Pop(); ok {
				got++
				continue
			}
			if _, ok := b.Pop(); ok {
				got++
				continue
			}
			w.Prepare()
			if !a.Empty() || !b.Empty() {
				w.Cancel()
				continue
			}
			w.Block(nil)
		}
		wg.Wait()
	})
}

func TestMPSCAllocs(t *testing.T) {
	type msg struct {
		kind uint8
		p    *int
		n    uint64
	}
	r, _ := NewMPSC[msg](64, nil)
	dst := make([]msg, 16)
	allocs := testing.AllocsPerRun(1000, func() {
		for range 8 {
			r.Push(msg{kind: 1})
		}
		r.Wait(nil) // returns at once: not empty
		r.Pop()
		r.PopBatch(dst)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per push/pop", allocs)
	}
}
