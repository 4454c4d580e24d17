package fastpath

import (
	"errors"
	"sync/atomic"
)

// cacheLine is the padding unit that keeps fields written by different cores
// on different cache lines. 128 bytes rather than 64 because x86 prefetches
// lines in adjacent pairs (the same choice as crossbeam's CachePadded).
const cacheLine = 128

// waitSpins is how many times a ring's Wait re-checks an empty ring before
// it announces sleep: a producer that is mid-batch is usually faster than a
// sleep and wake-up through the scheduler (a few microseconds).
const waitSpins = 64

// maxRingCapacity bounds ring sizes so index arithmetic never overflows and a
// typo cannot ask for terabytes.
const maxRingCapacity = 1 << 30

// ErrCapacity is returned by ring constructors for a capacity that is not in
// [1, 1<<30].
var ErrCapacity = errors.New("fastpath: ring capacity out of range")

// Waiter lets a ring's single consumer block while its rings are empty and be
// woken by their producers, at no cost while the consumer is busy: producers
// only load a flag the consumer writes when it goes to sleep.
//
// The protocol is Dekker's: the consumer stores "sleeping" and then re-checks
// its rings; a producer publishes its item and then loads "sleeping". With
// sequentially consistent atomics at least one side sees the other's write,
// so a wake-up is never lost. Spurious wake-ups are possible and harmless.
//
// One Waiter may serve several rings (a poller's inbound ring and its
// hand-over ring, say): pass it to each constructor and re-check every ring
// between [Waiter.Prepare] and [Waiter.Block].
type Waiter struct {
	_        [cacheLine]byte
	sleeping atomic.Uint32 // 1 while the consumer announced it sleeps
	_        [cacheLine - 4]byte
	ch       chan struct{} // capacity 1: a pending token is never lost
	notify   func()
}

// NewWaiter returns a Waiter. With notify nil, the consumer blocks in
// [Waiter.Block]; otherwise Wake calls notify instead (for a consumer that
// sleeps elsewhere, e.g. in poll(2) on an eventfd that notify writes).
func NewWaiter(notify func()) *Waiter {
	return &Waiter{ch: make(chan struct{}, 1), notify: notify}
}

// Prepare announces that the consumer is about to sleep. The consumer must
// re-check its rings afterwards and then call either Cancel or Block.
func (w *Waiter) Prepare() { w.sleeping.Store(1) }

// Cancel withdraws Prepare: the re-check found work.
func (w *Waiter) Cancel() { w.sleeping.Store(0) }

// Block sleeps until a producer wakes the consumer or done is closed (then it
// returns false). It is only for waiters without a notify function.
func (w *Waiter) Block(done <-chan struct{}) bool {
	ok := true
	select {
	case <-w.ch:
	case <-done:
		ok = false
	}
	w.sleeping.Store(0)
	return ok
}

// Wake is called by producers after publishing items. While the consumer is
// busy it is one atomic load.
func (w *Waiter) Wake() {
	if w.sleeping.Load() == 0 {
		return
	}
	// Only the producer that clears the flag signals: one token per sleep.
	if !w.sleeping.CompareAndSwap(1, 0) {
		return
	}
	if w.notify != nil {
		w.notify()
		return
	}
	select {
	case w.ch <- struct{}{}:
	default: // a token is already pending
	}
}

// waitNonEmpty is the consumer's Wait for a ring: spin briefly, then
// announce sleep, re-check (the Dekker step) and block until woken or done.
func waitNonEmpty(w *Waiter, empty func() bool, done <-chan struct{}) bool {
	for i := 0; ; i++ {
		if !empty() {
			return true
		}
		if i < waitSpins {
			continue
		}
		w.Prepare()
		if !empty() {
			w.Cancel()
			return true
		}
		if !w.Block(done) {
			return !empty()
		}
	}
}

// ringCapacity rounds n up to a power of two, at least min.
func ringCapacity(n, min int) (uint64, error) {
	if n < 1 || n > maxRingCapacity {
		return 0, ErrCapacity
	}
	c := uint64(min)
	for c < uint64(n) {
		c <<= 1
	}
	return c, nil
}
