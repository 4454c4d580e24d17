package fastpath

import (
	"container/heap"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// refWheel is the reference model: a plain table of expiry ticks. A timer
// fires in the first Advance with floor(now/tick) >= ceil(deadline/tick).
type refWheel struct {
	tick  int64
	armed map[int]uint64
}

func (r *refWheel) ceilTick(ns int64) uint64 {
	if ns <= 0 {
		return 0
	}
	return uint64(math.Ceil(float64(ns) / float64(r.tick))) // cross-checked below against integers
}

func (r *refWheel) due(now int64) []int {
	var ids []int
	target := uint64(0)
	if now > 0 {
		target = uint64(now / r.tick)
	}
	for id, tk := range r.armed {
		if tk <= target {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

func (r *refWheel) next() (int64, bool) {
	if len(r.armed) == 0 {
		return 0, false
	}
	m := uint64(math.MaxUint64)
	for _, tk := range r.armed {
		m = min(m, tk)
	}
	if m > uint64(math.MaxInt64/r.tick) {
		return math.MaxInt64, true
	}
	return int64(m) * r.tick, true
}

func randDeadline(rng *rand.Rand, now int64) int64 {
	const ms, s, h = int64(1e6), int64(1e9), int64(3600e9)
	switch rng.IntN(10) {
	case 0:
		return now - rng.Int64N(s) // in the past
	case 1, 2, 3:
		return now + rng.Int64N(300*ms) // RTO-ish
	case 4, 5:
		return now + rng.Int64N(61*s) // RTO.Max, cookie life, HB
	case 6:
		return now + rng.Int64N(5*h) // autoclose
	case 7:
		return now + rng.Int64N(60*24*h) // beyond 2^32 ms: overflow list
	case 8:
		return rng.Int64N(3 * h) // absolute, from 0
	default:
		return now + rng.Int64N(5*ms)
	}
}

func randStep(rng *rand.Rand, tick int64) int64 {
	switch rng.IntN(8) {
	case 0:
		return 0
	case 1, 2, 3:
		return rng.Int64N(4 * tick)
	case 4, 5:
		return rng.Int64N(500 * tick)
	case 6:
		return rng.Int64N(100e9)
	default:
		return rng.Int64N(8 * 3600e9)
	}
}

var wheelConfigs = []WheelConfig{
	{},                                  // 1 ms × 256 × 4
	{Tick: 1e6, Slots: 4, Levels: 3},    // 64 ticks before overflow
	{Tick: 1e6, Slots: 16, Levels: 2},   // levels narrower than a bitmap word
	{Tick: 1e5, Slots: 64, Levels: 3},   // one word per level
	{Tick: 7, Slots: 128, Levels: 5},    // odd tick, wide wheel
	{Tick: 1e6, Slots: 2, Levels: 31},   // binary digits
	{Tick: 3e6, Slots: 1024, Levels: 2}, // several words per level
}

// TestWheelMatchesReference drives the wheel and the reference model with
// the same random schedules, cancels, re-schedules (also from inside fire)
// and advances, and requires the same timers to fire in the same Advance.
func TestWheelMatchesReference(t *testing.T) {
	seeds := 40
	if testing.Short() {
		seeds = 8
	}
	for ci, cfg := range wheelConfigs {
		for seed := range seeds {
			t.Run(fmt.Sprintf("cfg%d/seed%d", ci, seed), func(t *testing.T) {
				runWheelVsReference(t, cfg, uint64(ci*1000+seed))
			})
		}
	}
}

func runWheelVsReference(t *testing.T, cfg WheelConfig, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x5c7b))
	now := rng.Int64N(10e9)
	w, err := NewWheel(cfg, now)
	if err != nil {
		t.Fatal(err)
	}
	ref := &refWheel{tick: w.Tick(), armed: map[int]uint64{}}
	const nTimers = 150
	timers := make([]Timer, nTimers)
	for i := range timers {
		timers[i].Kind = int32(i)
	}
	seqOf := make([]int, nTimers) // when each timer was last scheduled
	seq := 0
	schedule := func(id int, at int64) {
		w.Schedule(&timers[id], at)
		seq++
		seqOf[id] = seq
		ref.armed[id] = ref.ceilTick(at)
		if at > 0 && at < 1<<52 && ref.armed[id] != w.ceilTick(at) {
			t.Fatalf("ceil mismatch for %d", at)
		}
	}
	var fired []int
	var lastTick, startTick uint64
	var lastSeq int
	fire := func(tm *Timer) {
		id := int(tm.Kind)
		if tm.Armed() {
			t.Fatalf("timer %d armed inside fire", id)
		}
		// Timers that were due already fire first, in scheduling order;
		// the others in expiry-tick order, and within a tick in scheduling order.
		if tm.tick > startTick && tm.tick < lastTick {
			t.Fatalf("timer %d (tick %d) fired after tick %d", id, tm.tick, lastTick)
		}
		if tm.tick > startTick && tm.tick == lastTick && seqOf[id] < lastSeq {
			t.Fatalf("timer %d fired after a timer of its tick scheduled later", id)
		}
		lastSeq = seqOf[id]
		lastTick = tm.tick
		fired = append(fired, id)
		delete(ref.armed, id)
		switch rng.IntN(6) {
		case 0: // periodic re-arm, strictly after now
			schedule(id, now+1+rng.Int64N(30e9))
		case 1: // re-arm in the past: fires in the next Advance
			schedule(id, tm.Deadline()-rng.Int64N(1e9))
		}
	}
	for op := range 3000 {
		switch k := rng.IntN(20); {
		case k < 8:
			schedule(rng.IntN(nTimers), randDeadline(rng, now))
		case k < 11:
			id := rng.IntN(nTimers)
			w.Cancel(&timers[id])
			delete(ref.armed, id)
		case k < 12:
			// Double cancel and cancel of unarmed timers are no-ops.
			id := rng.IntN(nTimers)
			w.Cancel(&timers[id])
			w.Cancel(&timers[id])
			delete(ref.armed, id)
		default:
			now += randStep(rng, w.Tick())
			want := ref.due(now)
			fired, lastTick, startTick = fired[:0], 0, w.cur
			n := w.Advance(now, fire)
			slices.Sort(fired)
			if n != len(fired) || !slices.Equal(fired, want) {
				t.Fatalf("op %d: Advance(%d) fired %v (n=%d), reference %v", op, now, fired, n, want)
			}
		}
		if w.Len() != len(ref.armed) {
			t.Fatalf("op %d: Len %d, reference %d", op, w.Len(), len(ref.armed))
		}
		gd, gok := w.NextDeadline()
		rd, rok := ref.next()
		if gd != rd || gok != rok {
			t.Fatalf("op %d: NextDeadline %d,%v, reference %d,%v", op, gd, gok, rd, rok)
		}
		for id := range timers {
			_, armed := ref.armed[id]
			if timers[id].Armed() != armed {
				t.Fatalf("op %d: timer %d Armed %v, reference %v", op, id, !armed, armed)
			}
		}
	}
}

func TestWheelSemantics(t *testing.T) {
	const ms = int64(1e6)
	w, err := NewWheel(WheelConfig{Tick: ms}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []*Timer
	collect := func(tm *Timer) { got = append(got, tm) }
	var a, b Timer

	// 1.5 ms rounds up to 2 ms: not at 1.999 ms, at 2 ms.
	w.Schedule(&a, 3*ms/2)
	if d, ok := w.NextDeadline(); !ok || d != 2*ms {
		t.Fatalf("NextDeadline = %d, %v; want 2ms", d, ok)
	}
	if n := w.Advance(2*ms-1, collect); n != 0 {
		t.Fatalf("fired early: %d", n)
	}
	if n := w.Advance(2*ms, collect); n != 1 || got[0] != &a || a.Armed() {
		t.Fatalf("did not fire at 2ms: n=%d", n)
	}

	// Re-scheduling an armed timer moves it.
	got = got[:0]
	w.Schedule(&a, 10*ms)
	w.Schedule(&a, 5*ms)
	if n := w.Advance(5*ms, collect); n != 1 || a.Armed() {
		t.Fatalf("moved timer: n=%d", n)
	}
	w.Schedule(&a, 6*ms)
	w.Schedule(&a, 9*ms)
	if n := w.Advance(8*ms, collect); n != 0 {
		t.Fatalf("timer fired at its old deadline")
	}

	// Cancel of an unarmed timer is a no-op; cancel removes an armed one.
	w.Cancel(&b)
	w.Cancel(&a)
	if w.Len() != 0 || a.Armed() {
		t.Fatal("cancel left a timer armed")
	}
	if _, ok := w.NextDeadline(); ok {
		t.Fatal("NextDeadline on an empty wheel")
	}

	// A deadline in the past fires in the next Advance, even without time passing.
	got = got[:0]
	w.Schedule(&a, 0)
	if d, ok := w.NextDeadline(); !ok || d != 0 {
		t.Fatalf("NextDeadline for a past timer = %d, %v", d, ok)
	}
	if n := w.Advance(8*ms, collect); n != 1 {
		t.Fatalf("past timer: n=%d", n)
	}

	// Cancel from inside fire: b shares a's tick and must not fire.
	got = got[:0]
	w.Schedule(&a, 20*ms)
	w.Schedule(&b, 20*ms)
	n := w.Advance(20*ms, func(tm *Timer) {
		got = append(got, tm)
		w.Cancel(&b)
		w.Cancel(&a) // fired already: no-op
	})
	if n != 1 || got[0] != &a || b.Armed() || w.Len() != 0 {
		t.Fatalf("cancel inside fire: n=%d len=%d", n, w.Len())
	}

	// A timer re-arming itself in the past does not stall Advance.
	got = got[:0]
	w.Schedule(&a, 21*ms)
	n = w.Advance(30*ms, func(tm *Timer) { w.Schedule(tm, 0) })
	if n != 1 || !a.Armed() {
		t.Fatalf("self re-arm: n=%d", n)
	}
	w.Cancel(&a)

	// Long deadlines: RTO.Max 60 s, cookie life, autoclose of hours, and
	// beyond the wheel's range.
	for _, d := range []int64{60e9, 30e9, 4 * 3600e9, 100 * 24 * 3600e9} {
		w.Schedule(&a, 30*ms+d)
		if n := w.Advance(30*ms+d-1, collect); n != 0 || !a.Armed() {
			t.Fatalf("%d ns timer fired early", d)
		}
		if n := w.Advance(30*ms+d, collect); n != 1 || a.Armed() {
			t.Fatalf("%d ns timer did not fire", d)
		}
		w.Advance(-1, collect) // time going backwards fires nothing
		w, _ = NewWheel(WheelConfig{Tick: ms}, 0)
	}

	// FIFO among timers of the same tick.
	var ts [5]Timer
	for i := range ts {
		ts[i].Kind = int32(i)
		w.Schedule(&ts[i], 100*ms+int64(i))
	}
	var order []int32
	w.Advance(200*ms, func(tm *Timer) { order = append(order, tm.Kind) })
	if !slices.Equal(order, []int32{0, 1, 2, 3, 4}) {
		t.Fatalf("same-tick order %v", order)
	}

	// Owner is the caller's.
	type assoc struct{ t3 Timer }
	as := &assoc{}
	as.t3.Owner = as
	w.Schedule(&as.t3, 300*ms)
	w.Advance(300*ms, func(tm *Timer) {
		if tm.Owner.(*assoc) != as {
			t.Fatal("owner lost")
		}
	})
}

func TestWheelConfigErrors(t *testing.T) {
	for _, cfg := range []WheelConfig{
		{Tick: -1},
		{Slots: 3},
		{Slots: 1},
		{Slots: -256},
		{Slots: 1 << 17},
		{Levels: -1},
		{Slots: 256, Levels: 8}, // 64 bits
	} {
		if _, err := NewWheel(cfg, 0); !errors.Is(err, ErrWheelConfig) {
			t.Errorf("NewWheel(%+v) = %v, want ErrWheelConfig", cfg, err)
		}
	}
	// Extreme times do not break the arithmetic.
	w, err := NewWheel(WheelConfig{}, math.MaxInt64-10)
	if err != nil {
		t.Fatal(err)
	}
	var a Timer
	w.Schedule(&a, math.MaxInt64)
	if d, ok := w.NextDeadline(); !ok || d != math.MaxInt64 {
		t.Fatalf("NextDeadline = %d, %v", d, ok)
	}
	w.Advance(math.MaxInt64, func(*Timer) {})
	w.Schedule(&a, math.MinInt64)
	if n := w.Advance(math.MaxInt64, func(*Timer) {}); n != 1 {
		t.Fatalf("MinInt64 deadline: n=%d", n)
	}
}

func TestWheelAllocs(t *testing.T) {
	w, err := NewWheel(WheelConfig{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	timers := make([]Timer, 1000)
	now := int64(0)
	fire := func(tm *Timer) { w.Schedule(tm, now+int64(tm.Kind)*1e6) }
	for i := range timers {
		timers[i].Kind = int32(i + 1)
		w.Schedule(&timers[i], int64(i)*1e7)
	}
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		tm := &timers[i%len(timers)]
		w.Schedule(tm, now+int64(i%5000)*1e6)
		w.Cancel(tm)
		w.Schedule(tm, now+int64(i%7000)*1e6)
		now += 3e6
		w.Advance(now, fire)
		w.NextDeadline()
		i++
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per schedule/cancel/advance", allocs)
	}
}

// timerHeap is the container/heap baseline for the benchmarks.
type heapTimer struct {
	at    int64
	index int
}

type timerHeap []*heapTimer

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].at < h[j].at }
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *timerHeap) Push(x any) {
	t := x.(*heapTimer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	t.index = -1
	return t
}

const benchLive = 100_000

// Deadlines spread over 60 s: RTO, heartbeat and cookie-life timers.
const benchSpan = int64(60e9)

func benchWheelScheduleCancel() func(int) {
	w, _ := NewWheel(WheelConfig{}, 0)
	rng := rand.New(rand.NewPCG(1, 2))
	live := make([]Timer, benchLive)
	for i := range live {
		w.Schedule(&live[i], rng.Int64N(benchSpan))
	}
	ds := make([]int64, 1024)
	for i := range ds {
		ds[i] = rng.Int64N(benchSpan)
	}
	var t Timer
	return func(n int) {
		for i := range n {
			w.Schedule(&t, ds[i&1023])
			w.Cancel(&t)
		}
	}
}

func benchHeapScheduleCancel() func(int) {
	rng := rand.New(rand.NewPCG(1, 2))
	h := make(timerHeap, 0, benchLive+1)
	for range benchLive {
		heap.Push(&h, &heapTimer{at: rng.Int64N(benchSpan)})
	}
	ds := make([]int64, 1024)
	for i := range ds {
		ds[i] = rng.Int64N(benchSpan)
	}
	t := &heapTimer{}
	return func(n int) {
		for i := range n {
			t.at = ds[i&1023]
			heap.Push(&h, t)
			heap.Remove(&h, t.index)
		}
	}
}

// Schedule+fire: the clock moves so that one timer expires per op on
// average, and every fired timer is re-armed within the next 60 s.
func benchWheelScheduleFire() func(int) {
	w, _ := NewWheel(WheelConfig{}, 0)
	rng := rand.New(rand.NewPCG(3, 4))
	live := make([]Timer, benchLive)
	for i := range live {
		w.Schedule(&live[i], rng.Int64N(benchSpan))
	}
	ds := make([]int64, 1024)
	for i := range ds {
		ds[i] = 1 + rng.Int64N(benchSpan)
	}
	now, k := int64(0), 0
	fire := func(t *Timer) {
		w.Schedule(t, now+ds[k&1023])
		k++
	}
	step := benchSpan / benchLive
	return func(n int) {
		for range n {
			now += step
			w.Advance(now, fire)
		}
	}
}

func benchHeapScheduleFire() func(int) {
	rng := rand.New(rand.NewPCG(3, 4))
	h := make(timerHeap, 0, benchLive)
	for range benchLive {
		heap.Push(&h, &heapTimer{at: rng.Int64N(benchSpan)})
	}
	ds := make([]int64, 1024)
	for i := range ds {
		ds[i] = 1 + rng.Int64N(benchSpan)
	}
	now, k := int64(0), 0
	step := benchSpan / benchLive
	return func(n int) {
		for range n {
			now += step
			for len(h) > 0 && h[0].at <= now {
				t := heap.Pop(&h).(*heapTimer)
				t.at = now + ds[k&1023]
				k++
				heap.Push(&h, t)
			}
		}
	}
}

// BenchmarkTimers measures the wheel and the container/heap baseline with
// 100 000 live timers in the same run. ns/op is the wheel's; the heap's
// figure and the wheel/heap ratio are reported alongside.
func BenchmarkTimers(b *testing.B) {
	for _, c := range []struct {
		name        string
		wheel, heap func() func(int)
	}{
		{"ScheduleCancel", benchWheelScheduleCancel, benchHeapScheduleCancel},
		{"ScheduleFire", benchWheelScheduleFire, benchHeapScheduleFire},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.StopTimer()
			runW, runH := c.wheel(), c.heap()
			b.StartTimer()
			t0 := time.Now()
			runW(b.N)
			t1 := time.Now()
			runH(b.N)
			t2 := time.Now()
			b.StopTimer()
			wt, ht := t1.Sub(t0).Seconds(), t2.Sub(t1).Seconds()
			n := float64(b.N)
			b.ReportMetric(wt*1e9/n, "ns/op")
			b.ReportMetric(ht*1e9/n, "heap-ns/op")
			b.ReportMetric(wt/ht, "wheel/heap")
		})
	}
}
