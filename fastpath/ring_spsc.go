package fastpath

import "sync/atomic"

// SPSC is a bounded lock-free ring for exactly one producer goroutine and one
// consumer goroutine. Elements are stored by value; the capacity is a power of
// two. Each side keeps a private copy of the other side's index and reloads
// the shared one only when its copy says there is too little room (producer)
// or too few elements (consumer) for the request, so a side that is ahead
// does not pull the other side's cache line on every operation (the design
// of Erik Rigtorp's SPSCQueue). Go's atomic stores are sequentially
// consistent (XCHG on amd64), which makes a single-element publish cost
// about as much as the copy of a 64-element batch: batches publish once.
//
// Indexes are free-running uint64 counters: slot = index & mask.
type SPSC[T any] struct {
	_ [cacheLine]byte

	// Consumer's line.
	head       atomic.Uint64 // next index to read; stored by the consumer
	cachedTail uint64        // consumer's last view of tail
	_          [cacheLine - 16]byte

	// Producer's line.
	tail       atomic.Uint64 // next index to write; stored by the producer
	cachedHead uint64        // producer's last view of head
	_          [cacheLine - 16]byte

	// Read-only after construction.
	buf  []T
	mask uint64
	w    *Waiter
	_    [cacheLine - 40]byte
}

// NewSPSC returns a ring holding at least capacity elements (rounded up to a
// power of two). w is the consumer's Waiter; nil gives the ring its own.
func NewSPSC[T any](capacity int, w *Waiter) (*SPSC[T], error) {
	c, err := ringCapacity(capacity, 1)
	if err != nil {
		return nil, err
	}
	if w == nil {
		w = NewWaiter(nil)
	}
	return &SPSC[T]{buf: make([]T, c), mask: c - 1, w: w}, nil
}

// Cap returns the ring's capacity.
func (r *SPSC[T]) Cap() int { return len(r.buf) }

// Len returns the number of queued elements; exact only from either side
// while the other side is idle.
func (r *SPSC[T]) Len() int { return int(r.tail.Load() - r.head.Load()) }

// Waiter returns the consumer's Waiter.
func (r *SPSC[T]) Waiter() *Waiter { return r.w }

// free returns how many slots the producer may fill, refreshing its cached
// head only when the cached view says fewer than want are free.
func (r *SPSC[T]) free(tail uint64, want int) uint64 {
	n := uint64(len(r.buf))
	f := n - (tail - r.cachedHead)
	if f < uint64(want) {
		r.cachedHead = r.head.Load()
		f = n - (tail - r.cachedHead)
	}
	return f
}

// Push appends v; it returns false if the ring is full. Producer only.
func (r *SPSC[T]) Push(v T) bool {
	t := r.tail.Load()
	if r.free(t, 1) == 0 {
		return false
	}
	r.buf[t&r.mask] = v
	r.tail.Store(t + 1)
	r.w.Wake()
	return true
}

// PushBatch appends as many leading elements of vs as fit and returns how
// many it appended. Producer only.
func (r *SPSC[T]) PushBatch(vs []T) int {
	t := r.tail.Load()
	n := min(uint64(len(vs)), r.free(t, len(vs)))
	if n == 0 {
		return 0
	}
	i := t & r.mask
	c := copy(r.buf[i:], vs[:n])
	copy(r.buf, vs[c:n])
	r.tail.Store(t + n)
	r.w.Wake()
	return int(n)
}

// avail returns how many elements the consumer may read, refreshing its
// cached tail only when the cached view says fewer than want are ready.
func (r *SPSC[T]) avail(head uint64, want int) uint64 {
	a := r.cachedTail - head
	if a < uint64(want) {
		r.cachedTail = r.tail.Load()
		a = r.cachedTail - head
	}
	return a
}

// Pop removes and returns the oldest element; ok is false if the ring is
// empty. Consumer only.
func (r *SPSC[T]) Pop() (v T, ok bool) {
	h := r.head.Load()
	if r.avail(h, 1) == 0 {
		return v, false
	}
	p := &r.buf[h&r.mask]
	v = *p
	var zero T
	*p = zero // drop references for the garbage collector
	r.head.Store(h + 1)
	return v, true
}

// PopBatch moves up to len(dst) of the oldest elements into dst and returns
// how many it moved. Consumer only.
func (r *SPSC[T]) PopBatch(dst []T) int {
	h := r.head.Load()
	n := min(uint64(len(dst)), r.avail(h, len(dst)))
	if n == 0 {
		return 0
	}
	i := h & r.mask
	end := min(i+n, uint64(len(r.buf)))
	c := copy(dst, r.buf[i:end])
	clear(r.buf[i:end])
	copy(dst[c:n], r.buf[:n-uint64(c)])
	clear(r.buf[:n-uint64(c)])
	r.head.Store(h + n)
	return int(n)
}

// Empty reports whether the consumer would find nothing to pop. Consumer only.
func (r *SPSC[T]) Empty() bool { return r.avail(r.head.Load(), 1) == 0 }

// Wait blocks until the ring holds an element (true) or done is closed
// (false). Consumer only; the ring's Waiter must have no notify function.
func (r *SPSC[T]) Wait(done <-chan struct{}) bool { return waitNonEmpty(r.w, r.Empty, done) }
