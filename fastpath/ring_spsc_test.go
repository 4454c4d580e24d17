package fastpath

import (
	"errors"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"
)

func TestRingCapacity(t *testing.T) {
	for _, c := range []struct{ in, spsc, mpsc int }{
		{1, 1, 2}, {2, 2, 2}, {3, 4, 4}, {4, 4, 4}, {5, 8, 8}, {1000, 1024, 1024}, {1<<16 - 1, 1 << 16, 1 << 16},
	} {
		s, err := NewSPSC[byte](c.in, nil)
		if err != nil || s.Cap() != c.spsc {
			t.Errorf("NewSPSC(%d): cap %v, %v; want %d", c.in, s.Cap(), err, c.spsc)
		}
		m, err := NewMPSC[byte](c.in, nil)
		if err != nil || m.Cap() != c.mpsc {
			t.Errorf("NewMPSC(%d): cap %v, %v; want %d", c.in, m.Cap(), err, c.mpsc)
		}
	}
	for _, n := range []int{0, -1, 1<<30 + 1} {
		if _, err := NewSPSC[byte](n, nil); !errors.Is(err, ErrCapacity) {
			t.Errorf("NewSPSC(%d) = %v, want ErrCapacity", n, err)
		}
		if _, err := NewMPSC[byte](n, nil); !errors.Is(err, ErrCapacity) {
			t.Errorf("NewMPSC(%d) = %v, want ErrCapacity", n, err)
		}
	}
}

func TestSPSCFullEmpty(t *testing.T) {
	r, _ := NewSPSC[int](4, nil)
	if _, ok := r.Pop(); ok || !r.Empty() || r.PopBatch(make([]int, 3)) != 0 {
		t.Fatal("empty ring returned an element")
	}
	for i := range 4 {
		if !r.Push(i) {
			t.Fatalf("push %d into a ring of 4 failed", i)
		}
	}
	if r.Push(9) || r.PushBatch([]int{9, 9}) != 0 || r.Len() != 4 {
		t.Fatal("full ring accepted an element")
	}
	if v, ok := r.Pop(); !ok || v != 0 {
		t.Fatalf("Pop = %d, %v", v, ok)
	}
	if n := r.PushBatch([]int{4, 5, 6}); n != 1 {
		t.Fatalf("PushBatch into one free slot = %d", n)
	}
	dst := make([]int, 8)
	if n := r.PopBatch(dst); n != 4 || dst[0] != 1 || dst[3] != 4 {
		t.Fatalf("PopBatch = %d %v", n, dst[:n])
	}
	if r.PushBatch(nil) != 0 || r.PopBatch(nil) != 0 {
		t.Fatal("empty batches")
	}
	// Capacity 1 works as a one-slot mailbox.
	one, _ := NewSPSC[int](1, nil)
	if !one.Push(1) || one.Push(2) {
		t.Fatal("capacity 1")
	}
	if v, _ := one.Pop(); v != 1 || !one.Push(3) {
		t.Fatal("capacity 1 after pop")
	}
}

// TestSPSCWrapModel runs random batch pushes and pops across many laps of a
// small ring against a slice model.
func TestSPSCWrapModel(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 1))
		r, _ := NewSPSC[uint32](8, nil)
		var model []uint32
		next := uint32(0)
		src := make([]uint32, 20)
		dst := make([]uint32, 20)
		for range 5000 {
			switch rng.IntN(4) {
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
				k := rng.IntN(len(src) + 1)
				for i := range k {
					src[i] = next + uint32(i)
				}
				n := r.PushBatch(src[:k])
				if n != min(k, 8-len(model)) {
					t.Fatalf("PushBatch(%d) = %d with %d queued", k, n, len(model))
				}
				model = append(model, src[:n]...)
				next += uint32(n)
			case 2:
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

func TestSPSCReleasesReferences(t *testing.T) {
	r, _ := NewSPSC[*int](4, nil)
	x := new(int)
	for range 3 {
		r.PushBatch([]*int{x, x, x})
		r.Pop()
		r.PopBatch(make([]*int, 2))
	}
	for i, p := range r.buf {
		if p != nil {
			t.Fatalf("slot %d still references a popped element", i)
		}
	}
}

// watchdog fails the test if fn has not returned within d: a lost wake-up
// shows up as a consumer blocked forever.
func watchdog(t *testing.T, d time.Duration, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(d):
		buf := make([]byte, 1<<20)
		t.Fatalf("hung (lost wake-up?); goroutines:\n%s", buf[:runtime.Stack(buf, true)])
	}
}

// TestSPSCStream streams a sequence through a small ring with random batch
// sizes on both sides; the consumer sleeps in Wait whenever it is empty.
func TestSPSCStream(t *testing.T) {
	n := uint64(300_000)
	if testing.Short() {
		n = 30_000
	}
	r, _ := NewSPSC[uint64](16, nil)
	watchdog(t, 60*time.Second, func() {
		var wg sync.WaitGroup
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(1, 2))
			src := make([]uint64, 32)
			for next := uint64(0); next < n; {
				k := min(uint64(1+rng.IntN(len(src))), n-next)
				for i := range k {
					src[i] = next + i
				}
				sent := uint64(r.PushBatch(src[:k]))
				next += sent
				if sent == 0 {
					runtime.Gosched()
				}
			}
		})
		rng := rand.New(rand.NewPCG(3, 4))
		dst := make([]uint64, 32)
		for want := uint64(0); want < n; {
			if !r.Wait(nil) {
				t.Error("Wait returned false without done")
				return
			}
			k := r.PopBatch(dst[:1+rng.IntN(len(dst))])
			for _, v := range dst[:k] {
				if v != want {
					t.Errorf("got %d, want %d", v, want)
					return
				}
				want++
			}
		}
		wg.Wait()
	})
}

// TestSPSCNoLostWakeup ping-pongs one item at a time between two goroutines
// over two rings, so that nearly every item finds its consumer asleep or
// falling asleep: a single lost wake-up hangs the test.
func TestSPSCNoLostWakeup(t *testing.T) {
	rounds := 50_000
	if testing.Short() {
		rounds = 5_000
	}
	ping, _ := NewSPSC[int](1, nil)
	pong, _ := NewSPSC[int](1, nil)
	watchdog(t, 60*time.Second, func() {
		var wg sync.WaitGroup
		wg.Go(func() {
			for range rounds {
				ping.Wait(nil)
				v, _ := ping.Pop()
				for !pong.Push(v + 1) {
					runtime.Gosched()
				}
			}
		})
		for i := range rounds {
			for !ping.Push(i) {
				runtime.Gosched()
			}
			pong.Wait(nil)
			if v, ok := pong.Pop(); !ok || v != i+1 {
				t.Errorf("round %d: got %d,%v", i, v, ok)
				return
			}
		}
		wg.Wait()
	})
}

func TestSPSCWaitDone(t *testing.T) {
	r, _ := NewSPSC[int](4, nil)
	done := make(chan struct{})
	close(done)
	if r.Wait(done) {
		t.Fatal("Wait on an empty ring returned true after done")
	}
	r.Push(1)
	if !r.Wait(done) {
		t.Fatal("Wait on a non-empty ring returned false")
	}
}

// TestWaiterNotify checks the external-sleep mode: Wake calls notify once
// per announced sleep and not while the consumer is busy.
func TestWaiterNotify(t *testing.T) {
	calls := 0
	w := NewWaiter(func() { calls++ })
	r, _ := NewSPSC[int](4, w)
	r.Push(1)
	if calls != 0 {
		t.Fatal("notify while the consumer was busy")
	}
	r.Pop()
	w.Prepare()
	if !r.Empty() {
		t.Fatal("not empty")
	}
	r.Push(2)
	r.Push(3)
	if calls != 1 {
		t.Fatalf("notify called %d times for one sleep", calls)
	}
	w.Cancel()
	r.Push(4)
	if calls != 1 {
		t.Fatal("notify after Cancel")
	}
}

func TestSPSCAllocs(t *testing.T) {
	type frame struct {
		addr uint64
		len  uint32
		p    *int
	}
	r, _ := NewSPSC[frame](64, nil)
	src := make([]frame, 16)
	dst := make([]frame, 16)
	allocs := testing.AllocsPerRun(1000, func() {
		r.Push(frame{addr: 1})
		r.PushBatch(src)
		r.Wait(nil) // returns at once: not empty
		r.Pop()
		r.PopBatch(dst)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per push/pop", allocs)
	}
}
