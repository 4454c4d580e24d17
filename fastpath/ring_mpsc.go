package fastpath

import "sync/atomic"

// MPSC is a bounded lock-free ring for any number of producer goroutines and
// one consumer goroutine. Push never blocks: it returns false when the ring is
// full, and the caller counts a drop.
//
// It is Dmitry Vyukov's bounded array queue used with a single consumer. Each
// cell carries a sequence number that says whose turn the cell is: seq == pos
// means free for the producer claiming position pos, seq == pos+1 means
// filled for the consumer reading position pos. Producers claim positions
// with a CAS on the enqueue counter; the consumer needs no atomic
// read-modify-write at all.
//
// A producer that has claimed a cell but not yet filled it hides the cells
// behind it from the consumer until it finishes, as in the original design.
type MPSC[T any] struct {
	_ [cacheLine]byte

	// Shared by producers.
	enq atomic.Uint64
	_   [cacheLine - 8]byte

	// Consumer's line.
	deq uint64
	_   [cacheLine - 8]byte

	// Read-only after construction.
	cells []mpscCell[T]
	mask  uint64
	w     *Waiter
	_     [cacheLine - 40]byte
}

type mpscCell[T any] struct {
	seq atomic.Uint64
	val T
}

// NewMPSC returns a ring holding at least capacity elements (rounded up to a
// power of two, at least 2: with one cell "filled" and "free for the next
// lap" would have the same sequence number). w is the consumer's Waiter; nil
// gives the ring its own.
func NewMPSC[T any](capacity int, w *Waiter) (*MPSC[T], error) {
	c, err := ringCapacity(capacity, 2)
	if err != nil {
		return nil, err
	}
	if w == nil {
		w = NewWaiter(nil)
	}
	r := &MPSC[T]{cells: make([]mpscCell[T], c), mask: c - 1, w: w}
	for i := range r.cells {
		r.cells[i].seq.Store(uint64(i))
	}
	return r, nil
}

// Cap returns the ring's capacity.
func (r *MPSC[T]) Cap() int { return len(r.cells) }

// Waiter returns the consumer's Waiter.
func (r *MPSC[T]) Waiter() *Waiter { return r.w }

// Push appends v; it returns false if the ring is full. Safe for concurrent
// use by any number of producers.
func (r *MPSC[T]) Push(v T) bool {
	pos := r.enq.Load()
	for {
		c := &r.cells[pos&r.mask]
		d := int64(c.seq.Load() - pos)
		if d == 0 && r.enq.CompareAndSwap(pos, pos+1) {
			c.val = v
			c.seq.Store(pos + 1) // publish
			r.w.Wake()
			return true
		}
		if d < 0 {
			// The cell still holds the item from the previous lap.
			return false
		}
		// Another producer took pos first, or our pos was stale.
		pos = r.enq.Load()
	}
}

// Pop removes and returns the oldest element; ok is false if the ring is
// empty. Consumer only.
func (r *MPSC[T]) Pop() (v T, ok bool) {
	pos := r.deq
	c := &r.cells[pos&r.mask]
	if c.seq.Load() != pos+1 {
		return v, false
	}
	v = c.val
	var zero T
	c.val = zero // drop references for the garbage collector
	c.seq.Store(pos + r.mask + 1)
	r.deq = pos + 1
	return v, true
}

// PopBatch moves up to len(dst) of the oldest elements into dst and returns
// how many it moved. Consumer only.
func (r *MPSC[T]) PopBatch(dst []T) int {
	pos := r.deq
	var zero T
	n := 0
	for n < len(dst) {
		c := &r.cells[pos&r.mask]
		if c.seq.Load() != pos+1 {
			break
		}
		dst[n] = c.val
		c.val = zero
		c.seq.Store(pos + r.mask + 1)
		pos++
		n++
	}
	r.deq = pos
	return n
}

// Empty reports whether the consumer would find nothing to pop. Consumer only.
func (r *MPSC[T]) Empty() bool {
	return r.cells[r.deq&r.mask].seq.Load() != r.deq+1
}

// Len returns the number of claimed positions not yet consumed (including
// ones still being filled). Consumer only.
func (r *MPSC[T]) Len() int { return int(r.enq.Load() - r.deq) }

// Wait blocks until the ring holds an element (true) or done is closed
// (false). Consumer only; the ring's Waiter must have no notify function.
func (r *MPSC[T]) Wait(done <-chan struct{}) bool { return waitNonEmpty(r.w, r.Empty, done) }
