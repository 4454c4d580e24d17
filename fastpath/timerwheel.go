package fastpath

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
)

// Timer is an intrusive timer: the caller keeps it inside the object it times
// (an association's T3-rtx timer, say) and the wheel links it into its lists,
// so arming a timer allocates nothing. The zero Timer is unarmed. A Timer
// belongs to at most one Wheel at a time and must not be copied while armed.
type Timer struct {
	next, prev *Timer
	tick       uint64 // expiry tick: the deadline rounded up to the tick
	deadline   int64  // as scheduled, in nanoseconds
	bucket     int32  // 0: unarmed; otherwise 1 + index into Wheel.lists

	// Kind and Owner are the caller's, untouched by the wheel: typically
	// which of an association's timers this is, and the association.
	Kind  int32
	Owner any
}

// Armed reports whether t is scheduled on a wheel and has not fired.
func (t *Timer) Armed() bool { return t.bucket != 0 }

// Deadline returns the deadline t was last scheduled for.
func (t *Timer) Deadline() int64 { return t.deadline }

// WheelConfig sets a Wheel's resolution and range. The zero value gives
// 1 ms ticks, 256 slots and 4 levels: exact to the tick up to 2^32 ticks
// (49.7 days) ahead; timers further out wait in an overflow list.
type WheelConfig struct {
	Tick   int64 // nanoseconds per tick; 0 means 1 ms
	Slots  int   // slots per level, a power of two in [2, 65536]; 0 means 256
	Levels int   // 0 means 4; Levels*log2(Slots) must not exceed 62
}

// ErrWheelConfig is wrapped by NewWheel's errors for an invalid WheelConfig.
var ErrWheelConfig = errors.New("fastpath: invalid timer wheel config")

// Wheel is a hierarchical hashed timer wheel (Varghese and Lauck, scheme 7)
// for one goroutine: it takes no locks and never reads a clock; the caller
// passes the time, in int64 nanoseconds of any monotonic or virtual clock.
//
// A timer with deadline d fires in the first Advance whose now satisfies
// now >= ceil(d/Tick)*Tick: never early, and never later than that Advance.
//
// Ticks are digits in base Slots. A timer whose expiry tick first differs
// from the current tick in digit l sits in level l, slot digit l of its
// expiry. When the current tick reaches the start of that slot's span, the
// slot's timers cascade to lower levels; level 0 slots hold exactly one tick
// each and fire. Advance skips empty stretches using per-level occupancy
// bitmaps, so a jump of hours costs the events in it, not the ticks.
type Wheel struct {
	tick   int64
	bits   uint   // log2(Slots)
	slots  uint64 // per level
	mask   uint64 // slots - 1
	levels int

	// cur is the current tick: every timer with expiry <= cur has fired or
	// is in the due list.
	cur uint64

	// lists holds the sentinels of the circular timer lists: levels*slots
	// buckets, then due, firing and overflow.
	lists []Timer
	occ   []uint64 // occupancy bit per level bucket
	n     int      // armed timers

	minTick  uint64 // cached earliest expiry, valid if minValid
	minValid bool
}

const (
	listDue = iota
	listFiring
	listOverflow
	numSpecialLists
)

// NewWheel returns a wheel whose clock starts at now.
func NewWheel(cfg WheelConfig, now int64) (*Wheel, error) {
	if cfg.Tick == 0 {
		cfg.Tick = 1e6
	}
	if cfg.Slots == 0 {
		cfg.Slots = 256
	}
	if cfg.Levels == 0 {
		cfg.Levels = 4
	}
	switch {
	case cfg.Tick < 0:
		return nil, fmt.Errorf("%w: tick %d ns", ErrWheelConfig, cfg.Tick)
	case cfg.Slots < 2 || cfg.Slots > 1<<16 || cfg.Slots&(cfg.Slots-1) != 0:
		return nil, fmt.Errorf("%w: %d slots, want a power of two in [2, 65536]", ErrWheelConfig, cfg.Slots)
	case cfg.Levels < 1:
		return nil, fmt.Errorf("%w: %d levels", ErrWheelConfig, cfg.Levels)
	}
	b := uint(bits.TrailingZeros(uint(cfg.Slots)))
	if uint(cfg.Levels)*b > 62 {
		return nil, fmt.Errorf("%w: %d levels of %d slots exceed 62 bits of ticks", ErrWheelConfig, cfg.Levels, cfg.Slots)
	}
	nb := cfg.Levels * cfg.Slots
	w := &Wheel{
		tick:   cfg.Tick,
		bits:   b,
		slots:  uint64(cfg.Slots),
		mask:   uint64(cfg.Slots - 1),
		levels: cfg.Levels,
		lists:  make([]Timer, nb+numSpecialLists),
		occ:    make([]uint64, (nb+63)/64),
	}
	for i := range w.lists {
		s := &w.lists[i]
		s.next, s.prev = s, s
	}
	w.cur = w.floorTick(now)
	return w, nil
}

// Len returns the number of armed timers.
func (w *Wheel) Len() int { return w.n }

// Tick returns the wheel's resolution in nanoseconds.
func (w *Wheel) Tick() int64 { return w.tick }

// Schedule arms t to fire at deadline at, moving it if it is armed already.
// A deadline at or before the current tick fires in the next Advance (also
// when Schedule is called from inside Advance's fire function, so a timer
// that keeps re-arming itself in the past cannot stall Advance).
func (w *Wheel) Schedule(t *Timer, at int64) {
	if t.bucket != 0 {
		if t.tick == w.minTick {
			w.minValid = false
		}
		w.unlink(t)
	} else {
		w.n++
	}
	t.deadline = at
	t.tick = w.ceilTick(at)
	if t.tick <= w.cur {
		w.link(t, w.special(listDue))
	} else {
		w.place(t)
	}
	if w.minValid && t.tick < w.minTick {
		w.minTick = t.tick
	}
}

// Cancel disarms t; it is a no-op for an unarmed timer.
func (w *Wheel) Cancel(t *Timer) {
	if t.bucket == 0 {
		return
	}
	if t.tick == w.minTick {
		w.minValid = false
	}
	w.unlink(t)
	w.n--
}

// Advance moves the wheel's clock to now and calls fire for every timer that
// expires: first the timers that were due already (in scheduling order), then
// the others in expiry-tick order, timers of one tick in scheduling order.
// Each timer is disarmed before fire sees it, so fire may re-schedule it, or
// schedule and cancel others; fire must not call Advance. Advance returns how
// many timers fired. A now earlier than the wheel's clock fires only the due
// timers.
func (w *Wheel) Advance(now int64, fire func(*Timer)) int {
	fired := 0
	if due := w.special(listDue); !w.empty(due) {
		// Move them aside: timers scheduled in the past from inside fire go
		// to the due list again and wait for the next Advance.
		w.splice(due, w.special(listFiring))
		fired += w.fireList(w.special(listFiring), fire)
	}
	target := w.floorTick(now)
	for w.cur < target {
		next, ok := w.nextEvent()
		if !ok || next > target {
			w.cur = target
			break
		}
		w.cur = next
		w.cascade(next)
		if b := int(next & w.mask); !w.empty(b) {
			fired += w.fireList(b, fire)
		}
	}
	return fired
}

// NextDeadline returns the earliest time at which Advance will fire a timer
// (the earliest deadline rounded up to the tick; it may be in the past), and
// false if no timer is armed. A poller sleeps in poll(2) until then. It is
// cached between changes of the earliest timer, so calling it often is cheap.
func (w *Wheel) NextDeadline() (int64, bool) {
	if w.n == 0 {
		return 0, false
	}
	if !w.minValid {
		w.minTick = w.computeMin()
		w.minValid = true
	}
	if w.minTick > uint64(math.MaxInt64/w.tick) {
		return math.MaxInt64, true
	}
	return int64(w.minTick) * w.tick, true
}

func (w *Wheel) floorTick(ns int64) uint64 {
	if ns <= 0 {
		return 0
	}
	return uint64(ns / w.tick)
}

func (w *Wheel) ceilTick(ns int64) uint64 {
	if ns <= 0 {
		return 0
	}
	return uint64((ns-1)/w.tick) + 1
}

// special returns the index in w.lists of a special list.
func (w *Wheel) special(i int) int { return w.levels*int(w.slots) + i }

func (w *Wheel) empty(b int) bool { s := &w.lists[b]; return s.next == s }

func (w *Wheel) isLevelBucket(b int) bool { return b < w.levels*int(w.slots) }

// place links t into the bucket its expiry tick selects relative to cur;
// t.tick >= cur.
func (w *Wheel) place(t *Timer) {
	l := 0
	if d := t.tick ^ w.cur; d != 0 {
		l = (bits.Len64(d) - 1) / int(w.bits)
	}
	if l >= w.levels {
		w.link(t, w.special(listOverflow))
		return
	}
	slot := (t.tick >> (w.bits * uint(l))) & w.mask
	w.link(t, int(uint64(l)*w.slots+slot))
}

// link appends t to list b.
func (w *Wheel) link(t *Timer, b int) {
	s := &w.lists[b]
	t.prev = s.prev
	t.next = s
	s.prev.next = t
	s.prev = t
	t.bucket = int32(b + 1)
	if w.isLevelBucket(b) {
		w.occ[b>>6] |= 1 << (b & 63)
	}
}

func (w *Wheel) unlink(t *Timer) {
	t.prev.next = t.next
	t.next.prev = t.prev
	b := int(t.bucket - 1)
	t.next, t.prev, t.bucket = nil, nil, 0
	if w.isLevelBucket(b) {
		if w.empty(b) {
			w.occ[b>>6] &^= 1 << (b & 63)
		}
	}
}

// splice moves every timer of list from to the end of list to.
func (w *Wheel) splice(fb, tb int) {
	from, to := &w.lists[fb], &w.lists[tb]
	for t := from.next; t != from; t = t.next {
		t.bucket = int32(tb + 1)
	}
	first, last := from.next, from.prev
	first.prev = to.prev
	to.prev.next = first
	last.next = to
	to.prev = last
	from.next, from.prev = from, from
}

// fireList disarms and fires the timers of list s one at a time, so fire may
// cancel or re-schedule the ones not fired yet.
func (w *Wheel) fireList(b int, fire func(*Timer)) int {
	w.minValid = false
	s := &w.lists[b]
	n := 0
	for s.next != s {
		t := s.next
		w.unlink(t)
		w.n--
		n++
		fire(t)
	}
	return n
}

// cascade re-places the timers whose slot span starts at tick c, highest
// level first so that timers moving down are cascaded further in turn.
func (w *Wheel) cascade(c uint64) {
	top := w.bits * uint(w.levels)
	if c&(1<<top-1) == 0 {
		if o := w.special(listOverflow); !w.empty(o) {
			w.replace(o)
		}
	}
	for l := w.levels - 1; l >= 1; l-- {
		shift := w.bits * uint(l)
		if c&(1<<shift-1) != 0 {
			continue
		}
		b := uint64(l)*w.slots + (c>>shift)&w.mask
		if w.occ[b>>6]&(1<<(b&63)) != 0 {
			w.replace(int(b))
		}
	}
}

// replace empties list b and places its timers again relative to cur.
func (w *Wheel) replace(b int) {
	s := &w.lists[b]
	first, last := s.next, s.prev
	s.next, s.prev = s, s
	if w.isLevelBucket(b) {
		w.occ[b>>6] &^= 1 << (b & 63)
	}
	last.next = nil
	for t := first; t != nil; {
		nx := t.next
		w.place(t)
		t = nx
	}
}

// firstOcc returns the first occupied slot of level l at index >= from.
func (w *Wheel) firstOcc(l int, from uint64) (uint64, bool) {
	base := uint64(l) * w.slots
	lo, hi := base+from, base+w.slots
	for lo < hi {
		wi := lo >> 6
		if word := w.occ[wi] >> (lo & 63); word != 0 {
			if g := lo + uint64(bits.TrailingZeros64(word)); g < hi {
				return g - base, true
			}
			return 0, false
		}
		lo = (wi + 1) << 6
	}
	return 0, false
}

// nextEvent returns the next tick after cur at which a slot fires or
// cascades. Every timer in level l expires after every timer in level l-1,
// so the lowest occupied level holds the next event.
func (w *Wheel) nextEvent() (uint64, bool) {
	for l := range w.levels {
		shift := w.bits * uint(l)
		if s, ok := w.firstOcc(l, (w.cur>>shift)&w.mask+1); ok {
			return w.cur>>(shift+w.bits)<<(shift+w.bits) | s<<shift, true
		}
	}
	if o := w.special(listOverflow); !w.empty(o) {
		// The levels are empty: jump straight to the start of the top-level
		// span holding the earliest overflow timer.
		top := w.bits * uint(w.levels)
		return listMin(&w.lists[o]) >> top << top, true
	}
	return 0, false
}

// computeMin returns the earliest expiry tick of the armed timers (n > 0).
func (w *Wheel) computeMin() uint64 {
	best := uint64(math.MaxUint64)
	for _, i := range [...]int{listDue, listFiring} {
		best = min(best, listMin(&w.lists[w.special(i)]))
	}
	if best != math.MaxUint64 {
		return best
	}
	for l := range w.levels {
		shift := w.bits * uint(l)
		if s, ok := w.firstOcc(l, (w.cur>>shift)&w.mask+1); ok {
			if l == 0 {
				return w.cur&^w.mask | s
			}
			return listMin(&w.lists[uint64(l)*w.slots+s])
		}
	}
	return listMin(&w.lists[w.special(listOverflow)])
}

func listMin(s *Timer) uint64 {
	m := uint64(math.MaxUint64)
	for t := s.next; t != s; t = t.next {
		m = min(m, t.tick)
	}
	return m
}
